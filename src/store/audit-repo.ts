import type { Kysely, Selectable } from 'kysely';
import { CompiledQuery, sql } from './kysely.js';
import {
  purgeEvent,
  type AuditCategory,
  type AuditEvent,
  type AuditRecord,
  type PurgeDetails,
  type PurgeRequest,
  type PurgeResult,
} from '../domain/audit.js';
import {
  chainContent,
  chainFieldsJson,
  chainHash,
  GENESIS_HASH,
  type ChainRow,
  type ChainStart,
} from '../domain/audit-chain.js';
import type { DialectName } from './database.js';
import type { AuditTable, Database } from './schema.js';

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

/** A stored row as an AuditRecord (details parsed). */
export function toAuditRecord(r: Selectable<AuditTable>): AuditRecord {
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

/** An event placed in the chain, ready to be written. */
interface ChainedEvent {
  event: AuditEvent;
  detailsText: string | null;
  /** The hashed fields as JSON (chainFieldsJson). */
  fieldsJson: string;
  seq: number;
  prevHash: string;
  hash: string;
}

/** The record an append stored: the same fields toAuditRecord reads back. */
function storedRecord(r: ChainedEvent, id: number): AuditRecord {
  const e = r.event;
  return {
    id,
    seq: r.seq,
    ts: e.ts,
    category: e.category,
    action: e.action,
    summary: e.summary,
    author: e.author,
    affectedUser: e.affectedUser,
    tokenId: e.tokenId,
    tokenDescription: e.tokenDescription,
    sourceIp: e.sourceIp,
    proxyIp: e.proxyIp,
    nodeId: e.nodeId,
    requestId: e.requestId,
    method: e.method,
    endpoint: e.endpoint,
    outcome: e.outcome,
    details: r.detailsText === null ? null : (JSON.parse(r.detailsText) as Record<string, unknown>),
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

/** The columns an append writes, in the order of its values. */
const APPEND_COLUMNS = [
  'ts',
  'category',
  'action',
  'summary',
  'author',
  'affected_user',
  'token_id',
  'token_description',
  'source_ip',
  'proxy_ip',
  'node_id',
  'request_id',
  'method',
  'endpoint',
  'outcome',
  'details',
  'seq',
  'prev_hash',
  'hash',
] as const;

/**
 * Rows per SQLite INSERT: SQLite binds at most 32766 parameters, 19 per row here. Kysely's SQLite
 * driver prepares every statement anew, and preparing costs about the same per row at any size.
 */
const SQLITE_ROWS_PER_INSERT = 500;

const SQLITE_ROW_PLACEHOLDER = `(${APPEND_COLUMNS.map(() => '?').join(',')})`;
const sqliteInsertText = new Map<number, string>();

/** `insert into audit_log (…) values (?,…),(?,…)…` for n rows; the texts are built once. */
function sqliteInsert(n: number): string {
  let text = sqliteInsertText.get(n);
  if (text === undefined) {
    text = `insert into audit_log (${APPEND_COLUMNS.join(', ')}) values ${new Array<string>(n).fill(SQLITE_ROW_PLACEHOLDER).join(',')}`;
    // Batches are mostly full; remember the other sizes only while they are few.
    if (n === SQLITE_ROWS_PER_INSERT || sqliteInsertText.size < 16) sqliteInsertText.set(n, text);
  }
  return text;
}

/** The batch as `[[ts, category, …, seq, prev_hash, hash], …]` in one jsonb parameter. */
const PG_APPEND_SQL = `insert into audit_log (${APPEND_COLUMNS.join(', ')}) select ${APPEND_COLUMNS.map(
  (c, k) => (c === 'ts' || c === 'seq' ? `(r->>${k})::bigint` : `r->>${k}`),
).join(', ')} from jsonb_array_elements($1::jsonb) as t(r) returning id, seq`;

/**
 * JSON.stringify writes a lone UTF-16 surrogate as a `\udXXX` escape, which PostgreSQL's jsonb
 * refuses; sent as a plain parameter it became U+FFFD. Rewrites such escapes to `\ufffd`, so a
 * record stores what it stored before. Escaped backslashes (`\\`) are consumed as pairs.
 */
function wellFormedJson(json: string): string {
  if (!/\\ud[89a-f]/.test(json)) return json;
  return json.replace(/\\(ud[89a-f][0-9a-f]{2}|[^])/g, (m, esc: string) =>
    esc.length === 5 ? '\\ufffd' : m,
  );
}

/** Rows per DELETE of a SQLite purge batch. */
const SQLITE_DELETE_ROWS = 1_000;

/** Advisory lock id of the retention purge ("tgap" in ASCII). */
const PURGE_LOCK_ID = 0x74676170;

/** The search's order: newest first by time, the chain position breaking ties within a millisecond. */
function newestFirst<Q extends { orderBy(column: 'ts' | 'seq', direction: 'desc'): Q }>(q: Q): Q {
  return q.orderBy('ts', 'desc').orderBy('seq', 'desc');
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

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
      const content = chainContent(event);
      const fieldsJson = chainFieldsJson(content);
      const hash = chainHash(prev, fieldsJson);
      seq++;
      rows[i] = { event, detailsText: content.detailsText, fieldsJson, seq, prevHash: prev, hash };
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
      for (const r of chunk) {
        const e = r.event;
        params.push(
          e.ts,
          e.category,
          e.action,
          e.summary,
          e.author,
          e.affectedUser,
          e.tokenId,
          e.tokenDescription,
          e.sourceIp,
          e.proxyIp,
          e.nodeId,
          e.requestId,
          e.method,
          e.endpoint,
          e.outcome,
          r.detailsText,
          r.seq,
          r.prevHash,
          r.hash,
        );
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
      // The hashed fields' array, extended by seq, prev_hash and hash (both hex).
      parts[i] = `${r.fieldsJson.slice(0, -1)},${r.seq},"${r.prevHash}","${r.hash}"]`;
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
    const ip = filter.ip;
    if (ip === undefined) return newestFirst(this.filtered(filter, after)).limit(limit);
    // `source_ip = ip or proxy_ip = ip` makes SQLite collect every match of both indexes and sort
    // them (it cannot merge two index orders), and a proxy's IP matches every record through it.
    // The newest `limit` by each index, then the newest `limit` of those, is the same page.
    const newest = (column: 'source_ip' | 'proxy_ip', alias: string) =>
      this.db
        .selectFrom(
          newestFirst(this.filtered(filter, after).where(column, '=', ip))
            .limit(limit)
            .as(alias),
        )
        .selectAll();
    return newestFirst(
      this.db
        .selectFrom(newest('source_ip', 'by_source').union(newest('proxy_ip', 'by_proxy')).as('by_ip'))
        .selectAll(),
    ).limit(limit);
  }

  /** The search's filters but the IP, and the paging cursor. */
  private filtered(filter: AuditFilter, after: AuditPosition | undefined) {
    let q = this.db.selectFrom('audit_log').selectAll();
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

  /** Kept for callers of the first release: the newest records, optionally of one category or token. */
  async list(q: { limit: number; category?: AuditCategory; tokenId?: string }): Promise<AuditRecord[]> {
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
    return rows.map((r) => ({
      seq: Number(r.seq),
      prevHash: r.prev_hash ?? '',
      hash: r.hash ?? '',
      ts: Number(r.ts),
      category: r.category,
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
      detailsText: r.details,
    }));
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
