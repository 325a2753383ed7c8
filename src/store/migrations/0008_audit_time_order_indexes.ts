import type { Kysely } from 'kysely';
import { sql } from '../kysely.js';
import type { DialectName } from '../dialect.js';

/**
 * The audit search lists records newest first by time (`ts desc, seq desc`), no longer by seq (issue
 * 15: a queued authentication event is written, and numbered, after changes made later than it).
 * Each filter's index ends in (ts, seq) instead of seq, so a page of 50 is read from the index in
 * order rather than every matching record sorted (over a second at 500k records on SQLite for a
 * category, a node or a proxy's IP).
 * - (author, seq), (affected_user, seq, ts), (category, action, seq), (token_id, seq),
 *   (source_ip, seq) and (proxy_ip, seq) are replaced by the same columns with (ts, seq).
 * - (node_id, seq) stays: the SIEM outputs read a node's records by seq. (node_id, ts, seq) is added.
 * - (ts, id) is replaced by (ts, seq): the unfiltered page and the cursor's bound.
 * Each new index is built before the one it replaces is dropped, and every step can run again. On a
 * large log this takes a while (PostgreSQL blocks audit writes meanwhile), so the statement timeout
 * is lifted for it, as in 0005.
 */
const REPLACED: ReadonlyArray<{ name: string; columns: string[]; replaces: string | null }> = [
  { name: 'audit_ts_seq', columns: ['ts', 'seq'], replaces: 'audit_ts_id' },
  { name: 'audit_author_ts', columns: ['author', 'ts', 'seq'], replaces: 'audit_author_seq' },
  { name: 'audit_affected_ts', columns: ['affected_user', 'ts', 'seq'], replaces: 'audit_affected_seq_ts' },
  { name: 'audit_category_ts', columns: ['category', 'action', 'ts', 'seq'], replaces: 'audit_category_seq' },
  { name: 'audit_token_ts', columns: ['token_id', 'ts', 'seq'], replaces: 'audit_token_seq' },
  { name: 'audit_source_ip_ts', columns: ['source_ip', 'ts', 'seq'], replaces: 'audit_source_ip_seq' },
  { name: 'audit_proxy_ip_ts', columns: ['proxy_ip', 'ts', 'seq'], replaces: 'audit_proxy_ip_seq' },
  { name: 'audit_node_ts', columns: ['node_id', 'ts', 'seq'], replaces: null },
];

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  // The migration runs in a transaction on PostgreSQL; `local` ends with it.
  if (dialect === 'postgres') await sql`set local statement_timeout = 0`.execute(db);
  for (const { name, columns, replaces } of REPLACED) {
    await db.schema.createIndex(name).ifNotExists().on('audit_log').columns(columns).execute();
    if (replaces !== null) await db.schema.dropIndex(replaces).ifExists().execute();
  }
}
