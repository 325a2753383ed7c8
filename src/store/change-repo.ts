import type { Kysely } from 'kysely';
import type { ChangeKind } from '../domain/change.js';
import type { Database } from './schema.js';

export type { ChangeKind };

export interface Change {
  seq: number;
  kind: ChangeKind;
  ref: string;
}

export class ChangeRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async record(kind: ChangeKind, refs: readonly string[], at: number): Promise<void> {
    // In slices: SQLite allows 32,766 parameters per statement, and a user may have thousands of tokens.
    for (let i = 0; i < refs.length; i += 1000) {
      await this.db
        .insertInto('changes')
        .values(refs.slice(i, i + 1000).map((ref) => ({ ts: at, kind, ref })))
        .execute();
    }
  }

  async latestSeq(): Promise<number> {
    const r = await this.db
      .selectFrom('changes')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return r?.seq == null ? 0 : Number(r.seq);
  }

  async since(seq: number, limit: number): Promise<Change[]> {
    const rows = await this.db
      .selectFrom('changes')
      .select(['seq', 'kind', 'ref'])
      .where('seq', '>', seq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: Number(r.seq), kind: r.kind as ChangeKind, ref: r.ref }));
  }

  /** Drops entries older than `before`; every live process has long read them. */
  async prune(before: number): Promise<number> {
    const r = await this.db.deleteFrom('changes').where('ts', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
