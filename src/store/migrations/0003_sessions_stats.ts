import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Web UI sessions (stored hashed, like tokens), per-minute authentication outcome counts for the
 * dashboard, and a use counter per token (written with the batched last-used time).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'char(64)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(64)', (c) => c.notNull().references('users.username').onDelete('cascade'))
    .addColumn('csrf', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('ip', 'varchar(45)')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('username').execute();

  await db.schema
    .createTable('auth_stats')
    .addColumn('minute', 'bigint', (c) => c.notNull())
    .addColumn('node_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('auth_stats_pk', ['minute', 'node_id', 'outcome'])
    .execute();

  await db.schema
    .alterTable('tokens')
    .addColumn('use_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}
