import type { Kysely, Selectable } from 'kysely';
import type { AuditCategory, AuditRecord } from '../domain/audit.js';
import type { AuditTable, Database } from './schema.js';

/** Same mapping as AuditRepo's; kept here so the shipper needs nothing but the Kysely handle. */
function toRecord(r: Selectable<AuditTable>): AuditRecord {
  return {
    id: Number(r.id),
    seq: Number(r.seq),
    ts: Number(r.ts),
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
    prevHash: r.prev_hash ?? '',
    hash: r.hash ?? '',
  };
}

/**
 * Where each node's SIEM outputs stand: one cursor (the last shipped seq) per node and output, and
 * the node's records after it. A node ships only the records it wrote, so in a cluster every record
 * leaves exactly one node, and nodes never contend for a cursor row.
 */
export class AuditShippingRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** The last seq this node shipped to `output`; 0 when it never shipped there. */
  async cursor(nodeId: string, output: string): Promise<number> {
    const row = await this.db
      .selectFrom('audit_shipping')
      .select('last_seq')
      .where('node_id', '=', nodeId)
      .where('output', '=', output)
      .executeTakeFirst();
    return row ? Number(row.last_seq) : 0;
  }

  async setCursor(nodeId: string, output: string, seq: number): Promise<void> {
    await this.db
      .insertInto('audit_shipping')
      .values({ node_id: nodeId, output, last_seq: seq })
      .onConflict((oc) => oc.columns(['node_id', 'output']).doUpdateSet({ last_seq: seq }))
      .execute();
  }

  /** This node's records with a seq above `afterSeq`, oldest first (index audit_node_seq). */
  async recordsAfter(nodeId: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('node_id', '=', nodeId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }
}
