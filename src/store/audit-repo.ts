import type { Kysely } from 'kysely';
import { CompiledQuery, sql } from './kysely.js';
import {
  purgeEvent,
  type AuditEvent,
  type AuditRecord,
  type PurgeDetails,
  type PurgeRequest,
  type PurgeResult,
} from '../domain/audit/audit.js';
import {
  chainHash,
  eventChainValues,
  GENESIS_HASH,
  type ChainRow,
  type ChainStart,
} from '../domain/audit/chain.js';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';
import { auditSearchQuery, type AuditFilter, type AuditPosition } from './audit-search.js';

import {
  LINK_FIELDS,
  PG_APPEND_SQL,
  SQLITE_ROWS_PER_INSERT,
  sqliteInsert,
  storedRecord,
  toAuditRecord,
  toChainRow,
  wellFormedJson,
  type ChainedEvent,
} from './audit-rows.js';

export type { AuditFilter, AuditPosition } from './audit-search.js';
export { toAuditRecord } from './audit-rows.js';

/** Rows per DELETE of a SQLite purge batch. */
const SQLITE_DELETE_ROWS = 1_000;

/** Advisory lock id of the retention purge ("tgap" in ASCII). */
const PURGE_LOCK_ID = 0x74676170;

export class AuditRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /**
   * Appends events to the chain: takes the chain head (locked on PostgreSQL until the transaction
   * ends, so nodes append one after another), links and hashes each event, and moves the head.
   * Call it inside a transaction (Store.transaction); the records commit with it or not at all.
   * Returns the stored records, built from what was written (nothing is read back).
   */
  async append(events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    let q = this.db.selectFrom('audit_chain').select(['seq', 'hash']).where('id', '=', 1);
    if (this.dialect === 'postgres') q = q.forUpdate();
    const head = await q.executeTakeFirst();
    let seq = head ? Number(head.seq) : 0;
    let prev = head?.hash ?? GENESIS_HASH;
    const rows: ChainedEvent[] = new Array<ChainedEvent>(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as AuditEvent;
      const { values, detailsText } = eventChainValues(event);
      // The same text as chainFieldsJson(chainContent(event)).
      const fieldsJson = JSON.stringify(values);
      const hash = chainHash(prev, fieldsJson);
      seq++;
      rows[i] = { event, detailsText, values, fieldsJson, seq, prevHash: prev, hash };
      prev = hash;
    }
    const ids = this.dialect === 'postgres' ? await this.insertPostgres(rows) : await this.insertSqlite(rows);
    if (head) await this.db.updateTable('audit_chain').set({ seq, hash: prev }).where('id', '=', 1).execute();
    else await this.db.insertInto('audit_chain').values({ id: 1, seq, hash: prev }).execute();
    return rows.map((r, i) => storedRecord(r, ids[i] ?? 0));
  }

  /** Multi-row INSERTs of at most SQLITE_ROWS_PER_INSERT rows; returns the row ids, in order. */
  private async insertSqlite(rows: readonly ChainedEvent[]): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += SQLITE_ROWS_PER_INSERT) {
      // better-sqlite3 runs each statement synchronously: between statements, let requests run.
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const chunk = rows.slice(i, i + SQLITE_ROWS_PER_INSERT);
      const params: unknown[] = [];
      // The hashed values, then the links: the order of APPEND_COLUMNS.
      for (const r of chunk) {
        params.push(...r.values);
        for (const f of LINK_FIELDS) params.push(r[f.name]);
      }
      const result = await this.db.executeQuery(CompiledQuery.raw(sqliteInsert(chunk.length), params));
      // One statement, one writer, AUTOINCREMENT: the rows got consecutive ids ending at the last one.
      const last = Number(result.insertId ?? 0);
      for (let k = chunk.length - 1; k >= 0; k--) ids.push(last - k);
    }
    return ids;
  }

  /**
   * One INSERT … SELECT over the batch sent as a single JSON array: no per-value parameters to
   * serialize or parse, and the rows' JSON is mostly the text already built for their hashes.
   * Returns the row ids, in the order of `rows`.
   */
  private async insertPostgres(rows: readonly ChainedEvent[]): Promise<number[]> {
    const parts: string[] = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as ChainedEvent;
      // The hashed fields' array, extended by the links (seq, prev_hash and hash).
      let json = r.fieldsJson.slice(0, -1);
      for (const f of LINK_FIELDS) json += `,${JSON.stringify(r[f.name])}`;
      parts[i] = `${json}]`;
    }
    const result = await this.db.executeQuery<{ id: number; seq: number }>(
      CompiledQuery.raw(PG_APPEND_SQL, [wellFormedJson(`[${parts.join(',')}]`)]),
    );
    const first = rows[0]?.seq ?? 0;
    const ids = new Array<number>(rows.length).fill(0);
    for (const r of result.rows) ids[Number(r.seq) - first] = Number(r.id);
    return ids;
  }

  /**
   * Newest first by time: `ts` descending, then `seq` descending among records of the same
   * millisecond. Time, not chain position: a queued authentication event gets its seq when its batch
   * is written, after changes made later than it. `after` is the previous page's last record.
   */
  async search(filter: AuditFilter, limit: number, after?: AuditPosition): Promise<AuditRecord[]> {
    const rows = await this.searchQuery(filter, limit, after).execute();
    return rows.map(toAuditRecord);
  }

  /** The search's query, unexecuted: bench/audit.ts compiles it to show the database's plan. */
  searchQuery(filter: AuditFilter, limit: number, after?: AuditPosition) {
    return auditSearchQuery(this.db, filter, limit, after);
  }

  /** Kept for callers of the first release: the newest records, optionally of one category or token. */
  async list(q: {
    limit: number;
    category?: AuditFilter['category'];
    tokenId?: string;
  }): Promise<AuditRecord[]> {
    return this.search(
      { ...(q.category ? { category: q.category } : {}), ...(q.tokenId ? { tokenId: q.tokenId } : {}) },
      q.limit,
    );
  }

  /** Rows in chain order after `afterSeq`, as stored (details as text), for verification. */
  async chainRows(afterSeq: number, limit: number): Promise<ChainRow[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toChainRow);
  }

  async head(): Promise<ChainStart | null> {
    const h = await this.db
      .selectFrom('audit_chain')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    return h ? { seq: Number(h.seq), hash: h.hash } : null;
  }

  /** The chain head and the number of records (head seq - oldest seq + 1), for an anchor; null when empty. */
  async anchorHead(): Promise<{ seq: number; hash: string; records: number } | null> {
    const head = await this.head();
    if (!head || head.seq === 0) return null;
    const oldest = await this.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.min('seq').as('seq'))
      .executeTakeFirst();
    const min = oldest?.seq == null ? head.seq + 1 : Number(oldest.seq);
    return { seq: head.seq, hash: head.hash, records: Math.max(0, head.seq - min + 1) };
  }

  /** Where verification starts: the checkpoint just below the oldest record, else the genesis. */
  async chainStart(): Promise<ChainStart> {
    const oldest = await this.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.min('seq').as('seq'))
      .executeTakeFirst();
    const min = oldest?.seq == null ? null : Number(oldest.seq);
    if (min === null) {
      // Everything was purged: the chain continues from the newest checkpoint.
      const last = await this.db
        .selectFrom('audit_checkpoints')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return last ? { seq: Number(last.seq), hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
    }
    if (min <= 1) return { seq: 0, hash: GENESIS_HASH };
    const cp = await this.db
      .selectFrom('audit_checkpoints')
      .select(['seq', 'hash'])
      .where('seq', '=', min - 1)
      .executeTakeFirst();
    // No checkpoint for the gap: start at the genesis, and the verifier reports the missing records.
    return cp ? { seq: Number(cp.seq), hash: cp.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Deletes up to `limit` of the oldest records that are older than `before` or beyond `maxRows`,
   * never one at or after `floor`, leaves a checkpoint at the last one deleted and appends an
   * `audit.purged` record naming what went and under which settings, all in this transaction: a
   * purge is never left without its record. Call it inside a transaction (Store.transaction).
   */
  async purgeBatch(p: PurgeRequest): Promise<PurgeResult> {
    if (this.dialect === 'postgres') {
      // One purger at a time across the cluster; the others skip this round.
      const lock = await sql<{
        ok: boolean;
      }>`select pg_try_advisory_xact_lock(${PURGE_LOCK_ID}) as ok`.execute(this.db);
      if (!lock.rows[0]?.ok) return { purged: 0, heldByFloor: 0 };
    }
    const oldest = await this.db
      .selectFrom('audit_log')
      .select(['seq', 'hash', 'ts'])
      .orderBy('seq')
      .limit(p.limit)
      .execute();
    const first = oldest[0];
    if (!first) return { purged: 0, heldByFloor: 0 };
    const newest = await this.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    // The records number newest - oldest + 1: appends number them without gaps and purges remove
    // only the oldest. This takes two index lookups where count(*) reads a whole index, once per
    // batch. Were records deleted from the middle (tampering, which verify reports), it overcounts
    // by that many, and the purge keeps that many fewer than maxRows.
    const excess = Math.max(0, Number(newest?.seq ?? first.seq) - Number(first.seq) + 1 - p.maxRows);
    // One more than the excess: room for the purge record, so the log ends at maxRows, not above.
    const overflow = excess > 0 ? excess + 1 : 0;
    let n = 0;
    let byAge = 0;
    let floorStop = false;
    let newestTs = -Infinity;
    // Oldest first: stop at the floor, or at the first record both young enough and within maxRows.
    for (const r of oldest) {
      const ts = Number(r.ts);
      if (ts >= p.floor) {
        floorStop = true;
        break;
      }
      if (ts < p.before) byAge++;
      else if (n >= overflow) break;
      n++;
      newestTs = Math.max(newestTs, ts);
    }
    const heldByFloor = floorStop ? Math.max(0, excess - n) : 0;
    const last = oldest[n - 1];
    if (n === 0 || !last) return { purged: 0, heldByFloor };
    // On SQLite, in statements of SQLITE_DELETE_ROWS with the event loop free in between: each runs
    // synchronously. The transaction stays one, so pages shared by its deletions are written once.
    const step = this.dialect === 'sqlite' ? SQLITE_DELETE_ROWS : n;
    for (let k = Math.min(step, n); ; k = Math.min(k + step, n)) {
      const upTo = oldest[k - 1] ?? last;
      await this.db.deleteFrom('audit_log').where('seq', '<=', Number(upTo.seq)).execute();
      if (k === n) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.db
      .insertInto('audit_checkpoints')
      .values({ seq: Number(last.seq), hash: last.hash ?? '', created_at: p.now, purged: n })
      .execute();
    await this.db.deleteFrom('audit_checkpoints').where('seq', '<', Number(last.seq)).execute();
    const authors = await this.settingAuthors();
    const details: PurgeDetails = {
      reason: byAge === n ? 'retentionDays' : byAge === 0 ? 'maxRows' : 'retentionDays+maxRows',
      purged: n,
      fromSeq: Number(first.seq),
      toSeq: Number(last.seq),
      firstHash: first.hash ?? '',
      lastHash: last.hash ?? '',
      retentionDays: p.retentionDays,
      maxRows: p.maxRows,
      floorDays: p.floorDays,
      retentionDaysSetBy: authors.get('audit.retentionDays') ?? 'default',
      maxRowsSetBy: authors.get('audit.maxRows') ?? 'default',
      newestTs,
    };
    await this.append([purgeEvent(details, p.nodeId, p.now)]);
    return { purged: n, heldByFloor };
  }

  /** Who last set each retention setting, from the settings table (absent: never set, the default). */
  private async settingAuthors(): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('settings')
      .select(['key', 'updated_by'])
      .where('key', 'in', ['audit.retentionDays', 'audit.maxRows'])
      .execute();
    return new Map(rows.map((r) => [r.key, r.updated_by]));
  }
}
