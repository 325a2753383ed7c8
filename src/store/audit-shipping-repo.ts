import type { Kysely } from 'kysely';
import type { AuditRecord } from '../domain/audit/audit.js';
import { toAuditRecord as toRecord } from './audit-repo.js';
import type { Database } from './schema.js';

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
