import type { Kysely, Selectable } from 'kysely';
import type { AuditCategory, AuditEvent, AuditRecord } from '../domain/audit.js';
import type { AuditTable, Database } from './schema.js';

export interface AuditQuery {
  limit: number;
  /** Return records with an id below this one (the previous page's last id). */
  beforeId?: number;
  category?: AuditCategory;
  tokenId?: string;
}

function toRecord(r: Selectable<AuditTable>): AuditRecord {
  return {
    id: r.id,
    ts: r.ts,
    category: r.category as AuditCategory,
    action: r.action,
    summary: r.summary,
    author: r.author,
    affectedUser: r.affected_user,
    tokenId: r.token_id,
    tokenDescription: r.token_description,
    sourceIp: r.source_ip,
    proxyIp: r.proxy_ip,
    nodeId: r.node_id,
    requestId: r.request_id,
    method: r.method,
    endpoint: r.endpoint,
    outcome: r.outcome,
    details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
  };
}

export class AuditRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db
      .insertInto('audit_log')
      .values(
        events.map((e) => ({
          ts: e.ts,
          category: e.category,
          action: e.action,
          summary: e.summary,
          author: e.author,
          affected_user: e.affectedUser,
          token_id: e.tokenId,
          token_description: e.tokenDescription,
          source_ip: e.sourceIp,
          proxy_ip: e.proxyIp,
          node_id: e.nodeId,
          request_id: e.requestId,
          method: e.method,
          endpoint: e.endpoint,
          outcome: e.outcome,
          details: e.details === null ? null : JSON.stringify(e.details),
        })),
      )
      .execute();
  }

  /** Newest first. */
  async list(q: AuditQuery): Promise<AuditRecord[]> {
    let sel = this.db.selectFrom('audit_log').selectAll();
    if (q.beforeId !== undefined) sel = sel.where('id', '<', q.beforeId);
    if (q.category !== undefined) sel = sel.where('category', '=', q.category);
    if (q.tokenId !== undefined) sel = sel.where('token_id', '=', q.tokenId);
    const rows = await sel.orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(toRecord);
  }
}
