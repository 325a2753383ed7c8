import type { Kysely } from 'kysely';
import { sql } from './kysely.js';
import type { Database } from './schema.js';

export interface OutcomeCount {
  minute: number;
  outcome: string;
  count: number;
}

/** Authentication outcomes per minute and node, added up on conflict (each node flushes its own). */
export class StatsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async add(nodeId: string, counts: readonly OutcomeCount[]): Promise<void> {
    if (counts.length === 0) return;
    await this.db
      .insertInto('auth_stats')
      .values(counts.map((c) => ({ minute: c.minute, node_id: nodeId, outcome: c.outcome, count: c.count })))
      .onConflict((oc) =>
        oc
          .columns(['minute', 'node_id', 'outcome'])
          .doUpdateSet({ count: sql<number>`auth_stats.count + excluded.count` }),
      )
      .execute();
  }

  /** Sums over every node since `from` (epoch ms), per minute and outcome. */
  async since(from: number): Promise<OutcomeCount[]> {
    const rows = await this.db
      .selectFrom('auth_stats')
      .select(['minute', 'outcome', (eb) => eb.fn.sum<number>('count').as('count')])
      .where('minute', '>=', from)
      .groupBy(['minute', 'outcome'])
      .orderBy('minute')
      .execute();
    return rows.map((r) => ({ minute: Number(r.minute), outcome: r.outcome, count: Number(r.count) }));
  }

  async prune(before: number): Promise<void> {
    await this.db.deleteFrom('auth_stats').where('minute', '<', before).execute();
  }
}
