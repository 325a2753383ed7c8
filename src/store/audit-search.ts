import type { Kysely } from 'kysely';
import { sql } from './kysely.js';
import type { AuditCategory } from '../domain/audit/audit.js';
import type { Database } from './schema.js';

/** Filters of the audit search and export. Time bounds are epoch ms, inclusive. */
export interface AuditFilter {
  from?: number;
  to?: number;
  author?: string;
  category?: AuditCategory;
  action?: string;
  affectedUser?: string;
  tokenId?: string;
  /** The client or the proxy IP. */
  ip?: string;
  nodeId?: string;
  /** Case-insensitive text in the summary, the token description, the users or the details. */
  q?: string;
}

/**
 * A place in the search's order (newest first by `ts`, then by `seq`): the last record of a page, to
 * continue after it. Any AuditRecord is one.
 */
export interface AuditPosition {
  ts: number;
  seq: number;
}

/** The search's order: newest first by time, the chain position breaking ties within a millisecond. */
function newestFirst<Q extends { orderBy(column: 'ts' | 'seq', direction: 'desc'): Q }>(q: Q): Q {
  return q.orderBy('ts', 'desc').orderBy('seq', 'desc');
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The audit search's query, unexecuted (AuditRepo.search runs it; bench/audit.ts compiles it to show
 * the database's plan): newest first by time, `ts` descending, then `seq` descending among records of
 * the same millisecond. `after` is the previous page's last record.
 */
export function auditSearchQuery(
  db: Kysely<Database>,
  filter: AuditFilter,
  limit: number,
  after?: AuditPosition,
) {
  const ip = filter.ip;
  if (ip === undefined) return newestFirst(filtered(db, filter, after)).limit(limit);
  // `source_ip = ip or proxy_ip = ip` makes SQLite collect every match of both indexes and sort
  // them (it cannot merge two index orders), and a proxy's IP matches every record through it.
  // The newest `limit` by each index, then the newest `limit` of those, is the same page.
  const newest = (column: 'source_ip' | 'proxy_ip', alias: string) =>
    db
      .selectFrom(
        newestFirst(filtered(db, filter, after).where(column, '=', ip))
          .limit(limit)
          .as(alias),
      )
      .selectAll();
  return newestFirst(
    db
      .selectFrom(newest('source_ip', 'by_source').union(newest('proxy_ip', 'by_proxy')).as('by_ip'))
      .selectAll(),
  ).limit(limit);
}

/** The search's filters but the IP, and the paging cursor. */
function filtered(db: Kysely<Database>, filter: AuditFilter, after: AuditPosition | undefined) {
  let q = db.selectFrom('audit_log').selectAll();
  if (filter.from !== undefined) q = q.where('ts', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('ts', '<=', filter.to);
  if (filter.author !== undefined) q = q.where('author', '=', filter.author);
  if (filter.category !== undefined) q = q.where('category', '=', filter.category);
  if (filter.action !== undefined) q = q.where('action', '=', filter.action);
  if (filter.affectedUser !== undefined) q = q.where('affected_user', '=', filter.affectedUser);
  if (filter.tokenId !== undefined) q = q.where('token_id', '=', filter.tokenId);
  if (filter.nodeId !== undefined) q = q.where('node_id', '=', filter.nodeId);
  if (filter.q !== undefined && filter.q.length > 0) {
    const p = `%${escapeLike(filter.q.toLowerCase())}%`;
    q = q.where(
      sql<boolean>`(lower(summary) like ${p} escape '\\' or lower(coalesce(token_description, '')) like ${p} escape '\\' or lower(coalesce(details, '')) like ${p} escape '\\' or lower(author) like ${p} escape '\\' or lower(coalesce(affected_user, '')) like ${p} escape '\\')`,
    );
  }
  if (after !== undefined) {
    // (ts, seq) < (after.ts, after.seq), spelled so that the `ts` bound alone can use an index.
    const { ts, seq } = after;
    q = q.where('ts', '<=', ts).where((eb) => eb.or([eb('ts', '<', ts), eb('seq', '<', seq)]));
  }
  return q;
}
