import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface NodeInfo {
  id: string;
  version: string;
  startedAt: number;
  lastHeartbeat: number;
  pid: number;
  /** Whether the node reached Redis at its last heartbeat. */
  redis: boolean;
}

export class NodeRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async heartbeat(n: NodeInfo): Promise<void> {
    const row = {
      id: n.id,
      version: n.version,
      started_at: n.startedAt,
      last_heartbeat: n.lastHeartbeat,
      pid: n.pid,
      redis: n.redis ? 1 : 0,
    };
    await this.db
      .insertInto('nodes')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          version: row.version,
          started_at: row.started_at,
          last_heartbeat: row.last_heartbeat,
          pid: row.pid,
          redis: row.redis,
        }),
      )
      .execute();
  }

  async list(): Promise<NodeInfo[]> {
    const rows = await this.db.selectFrom('nodes').selectAll().orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      version: r.version,
      startedAt: Number(r.started_at),
      lastHeartbeat: Number(r.last_heartbeat),
      pid: r.pid,
      redis: r.redis !== 0,
    }));
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('nodes').where('id', '=', id).execute();
  }

  /** Forgets nodes silent since `before` (gone for good). */
  async prune(before: number): Promise<void> {
    await this.db.deleteFrom('nodes').where('last_heartbeat', '<', before).execute();
  }
}
