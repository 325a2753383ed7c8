import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditCategory, AuditEvent, AuditRecord } from '../domain/audit.js';
import {
  chainContent,
  GENESIS_HASH,
  recordHash,
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

/** Advisory lock id of the retention purge ("tgap" in ASCII). */
const PURGE_LOCK_ID = 0x74676170;

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
   */
  async append(events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    let q = this.db.selectFrom('audit_chain').select(['seq', 'hash']).where('id', '=', 1);
    if (this.dialect === 'postgres') q = q.forUpdate();
    const head = await q.executeTakeFirst();
    let seq = head ? Number(head.seq) : 0;
    let prev = head?.hash ?? GENESIS_HASH;
    const rows = events.map((e) => {
      const c = chainContent(e);
      seq++;
      const hash = recordHash(prev, c);
      const row = {
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
        details: c.detailsText,
        seq,
        prev_hash: prev,
        hash,
      };
      prev = hash;
      return row;
    });
    // Bounded statements: SQLite allows 32766 parameters, and 19 columns per row.
    const inserted: Array<Selectable<AuditTable>> = [];
    for (let i = 0; i < rows.length; i += 500) {
      inserted.push(
        ...(await this.db
          .insertInto('audit_log')
          .values(rows.slice(i, i + 500))
          .returningAll()
          .execute()),
      );
    }
    if (head) await this.db.updateTable('audit_chain').set({ seq, hash: prev }).where('id', '=', 1).execute();
    else await this.db.insertInto('audit_chain').values({ id: 1, seq, hash: prev }).execute();
    return inserted.map(toAuditRecord);
  }

  /** Newest first; `beforeSeq` is the previous page's last seq. */
  async search(filter: AuditFilter, limit: number, beforeSeq?: number): Promise<AuditRecord[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.from !== undefined) q = q.where('ts', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('ts', '<=', filter.to);
    if (filter.author !== undefined) q = q.where('author', '=', filter.author);
    if (filter.category !== undefined) q = q.where('category', '=', filter.category);
    if (filter.action !== undefined) q = q.where('action', '=', filter.action);
    if (filter.affectedUser !== undefined) q = q.where('affected_user', '=', filter.affectedUser);
    if (filter.tokenId !== undefined) q = q.where('token_id', '=', filter.tokenId);
    if (filter.nodeId !== undefined) q = q.where('node_id', '=', filter.nodeId);
    const ip = filter.ip;
    if (ip !== undefined) q = q.where((eb) => eb.or([eb('source_ip', '=', ip), eb('proxy_ip', '=', ip)]));
    if (filter.q !== undefined && filter.q.length > 0) {
      const p = `%${escapeLike(filter.q.toLowerCase())}%`;
      q = q.where(
        sql<boolean>`(lower(summary) like ${p} escape '\\' or lower(coalesce(token_description, '')) like ${p} escape '\\' or lower(coalesce(details, '')) like ${p} escape '\\' or lower(author) like ${p} escape '\\' or lower(coalesce(affected_user, '')) like ${p} escape '\\')`,
      );
    }
    if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map(toAuditRecord);
  }

  /** Kept for callers of the first release: the newest records, optionally of one category or token. */
  async list(q: {
    limit: number;
    beforeId?: number;
    category?: AuditCategory;
    tokenId?: string;
  }): Promise<AuditRecord[]> {
    return this.search(
      { ...(q.category ? { category: q.category } : {}), ...(q.tokenId ? { tokenId: q.tokenId } : {}) },
      q.limit,
      q.beforeId,
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
   * and leaves a checkpoint at the last one deleted, in the same transaction. Returns how many.
   */
  async purgeBatch(before: number, maxRows: number, limit: number, now: number): Promise<number> {
    if (this.dialect === 'postgres') {
      // One purger at a time across the cluster; the others skip this round.
      const lock = await sql<{
        ok: boolean;
      }>`select pg_try_advisory_xact_lock(${PURGE_LOCK_ID}) as ok`.execute(this.db);
      if (!lock.rows[0]?.ok) return 0;
    }
    const overflow = Math.max(0, (await this.count()) - maxRows);
    const oldest = await this.db
      .selectFrom('audit_log')
      .select(['seq', 'hash', 'ts'])
      .orderBy('seq')
      .limit(limit)
      .execute();
    let n = 0;
    // Oldest first: stop at the first record that is both young enough and within maxRows.
    for (const r of oldest) {
      if (n >= overflow && Number(r.ts) >= before) break;
      n++;
    }
    if (n === 0) return 0;
    const last = oldest[n - 1];
    if (!last) return 0;
    await this.db.deleteFrom('audit_log').where('seq', '<=', Number(last.seq)).execute();
    await this.db
      .insertInto('audit_checkpoints')
      .values({ seq: Number(last.seq), hash: last.hash ?? '', created_at: now, purged: n })
      .execute();
    await this.db.deleteFrom('audit_checkpoints').where('seq', '<', Number(last.seq)).execute();
    return n;
  }
}
