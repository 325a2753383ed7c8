import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/** Users, tokens, settings, the audit log and the change feed. */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('username', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('email', 'varchar(320)')
    .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('password_hash', 'text')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('hash', 'char(64)', (c) => c.notNull().unique())
    .addColumn('username', 'varchar(64)', (c) => c.notNull().references('users.username').onDelete('cascade'))
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('scope', 'varchar(8)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .addColumn('last_used_ip', 'varchar(45)')
    .addColumn('allowed_ips', 'text')
    .addColumn('rate_limit_requests', 'integer')
    .addColumn('rate_limit_window_seconds', 'integer')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_by', 'varchar(64)')
    .execute();
  await db.schema
    .createIndex('tokens_user_created')
    .on('tokens')
    .columns(['username', 'created_at'])
    .execute();
  await db.schema.createIndex('tokens_created_id').on('tokens').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(64)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('category', 'varchar(32)', (c) => c.notNull())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('author', 'varchar(64)', (c) => c.notNull())
    .addColumn('affected_user', 'varchar(64)')
    .addColumn('token_id', 'varchar(32)')
    .addColumn('token_description', 'varchar(255)')
    .addColumn('source_ip', 'varchar(45)')
    .addColumn('proxy_ip', 'varchar(45)')
    .addColumn('node_id', 'varchar(128)')
    .addColumn('request_id', 'varchar(64)')
    .addColumn('method', 'varchar(16)')
    .addColumn('endpoint', 'text')
    .addColumn('outcome', 'varchar(64)')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('audit_ts_id').on('audit_log').columns(['ts', 'id']).execute();
  await db.schema.createIndex('audit_token').on('audit_log').column('token_id').execute();

  await db.schema
    .createTable('changes')
    .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('ref', 'varchar(128)', (c) => c.notNull())
    .execute();
}
