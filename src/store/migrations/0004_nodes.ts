import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/** Serving nodes announce themselves here, for `tokengate cluster status`. */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('nodes')
    .addColumn('id', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('version', 'varchar(32)', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('last_heartbeat', 'bigint', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('redis', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
