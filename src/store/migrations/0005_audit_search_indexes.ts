import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import type { DialectName } from '../dialect.js';

/**
 * Audit search indexes that serve a page (50 records, newest first) without reading the table:
 * - by affected user and time range: (affected_user, seq, ts) replaces (affected_user, seq). The
 *   newest-first walk over one user's entries checks ts in the index itself, and reads only the
 *   records in range, instead of every record of the user newer than the range.
 * - by token: (token_id, seq) replaces (token_id), which had to read and sort all of a token's
 *   records to return the newest 50.
 * Each new index is built before the one it replaces is dropped, and every step can run again
 * (SQLite migrations run in one transaction holding the write lock). On a large log this takes a while
 * (PostgreSQL blocks audit writes meanwhile), so the statement timeout is lifted for it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  // The migration runs in a transaction on PostgreSQL; `local` ends with it.
  if (dialect === 'postgres') await sql`set local statement_timeout = 0`.execute(db);
  await db.schema
    .createIndex('audit_affected_seq_ts')
    .ifNotExists()
    .on('audit_log')
    .columns(['affected_user', 'seq', 'ts'])
    .execute();
  await db.schema.dropIndex('audit_affected_seq').ifExists().execute();
  await db.schema
    .createIndex('audit_token_seq')
    .ifNotExists()
    .on('audit_log')
    .columns(['token_id', 'seq'])
    .execute();
  await db.schema.dropIndex('audit_token').ifExists().execute();
}
