import type { Kysely, Selectable } from 'kysely';
import { sql } from './kysely.js';
import type { Scope, StoredToken, TokenStatus } from '../domain/token/token.js';
import type { Database, TokensTable } from './schema.js';

/** Filters of the token manager. Time bounds are epoch ms, inclusive. */
export interface TokenFilter {
  user?: string;
  /** Case-insensitive substring of the description. */
  description?: string;
  scope?: Scope;
  status?: TokenStatus;
  createdFrom?: number;
  createdTo?: number;
  lastUsedFrom?: number;
  lastUsedTo?: number;
  expiresFrom?: number;
  expiresTo?: number;
}

/** Position after the last row of a page: newest first, ties broken by id. */
export interface TokenCursor {
  createdAt: number;
  id: string;
}

export interface LastUsed {
  id: string;
  at: number;
  ip: string;
  /** Uses since the last flush (1 when absent). */
  uses?: number;
}

function toToken(r: Selectable<TokensTable>): StoredToken {
  return {
    id: r.id,
    hash: r.hash,
    user: r.username,
    description: r.description,
    scope: r.scope === 'write' ? 'write' : 'read',
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    lastUsedIp: r.last_used_ip,
    allowedIps: r.allowed_ips === null ? null : (JSON.parse(r.allowed_ips) as string[]),
    rateLimit:
      r.rate_limit_requests !== null && r.rate_limit_window_seconds !== null
        ? { requests: r.rate_limit_requests, windowSeconds: r.rate_limit_window_seconds }
        : null,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
    useCount: Number(r.use_count),
    rotatedAt: r.rotated_at,
    secretIssuedBy: r.secret_issued_by,
  };
}

/** A secret a token had before a rotation. */
export interface RotatedSecret {
  tokenId: string;
  rotatedAt: number;
  /** Until then the old secret still works (the grace period); used later, it is reuse. */
  validUntil: number;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class TokenRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(t: StoredToken): Promise<void> {
    await this.db
      .insertInto('tokens')
      .values({
        id: t.id,
        hash: t.hash,
        username: t.user,
        description: t.description,
        scope: t.scope,
        created_at: t.createdAt,
        created_by: t.createdBy,
        expires_at: t.expiresAt,
        last_used_at: t.lastUsedAt,
        last_used_ip: t.lastUsedIp,
        allowed_ips: t.allowedIps === null ? null : JSON.stringify(t.allowedIps),
        rate_limit_requests: t.rateLimit?.requests ?? null,
        rate_limit_window_seconds: t.rateLimit?.windowSeconds ?? null,
        revoked_at: t.revokedAt,
        revoked_by: t.revokedBy,
        secret_issued_by: t.secretIssuedBy,
      })
      .execute();
  }

  async findByHash(hash: string): Promise<StoredToken | null> {
    const r = await this.db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    return r ? toToken(r) : null;
  }

  async findById(id: string): Promise<StoredToken | null> {
    const r = await this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toToken(r) : null;
  }

  /** Tokens that count against `tokens.maxPerUser`: neither revoked nor expired. */
  async countActive(user: string, now: number): Promise<number> {
    const r = await this.db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('username', '=', user)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** One page of tokens matching the filter, newest first. */
  async search(filter: TokenFilter, now: number, limit: number, after?: TokenCursor): Promise<StoredToken[]> {
    let q = this.db.selectFrom('tokens').selectAll();
    if (filter.user !== undefined) q = q.where('username', '=', filter.user);
    if (filter.scope !== undefined) q = q.where('scope', '=', filter.scope);
    if (filter.description !== undefined) {
      const pattern = `%${escapeLike(filter.description.toLowerCase())}%`;
      // Both SQLite and PostgreSQL accept an explicit ESCAPE; SQLite has no default escape character.
      q = q.where(sql<boolean>`lower(description) like ${pattern} escape '\\'`);
    }
    if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', filter.createdFrom);
    if (filter.createdTo !== undefined) q = q.where('created_at', '<=', filter.createdTo);
    if (filter.lastUsedFrom !== undefined) q = q.where('last_used_at', '>=', filter.lastUsedFrom);
    if (filter.lastUsedTo !== undefined) q = q.where('last_used_at', '<=', filter.lastUsedTo);
    if (filter.expiresFrom !== undefined) q = q.where('expires_at', '>=', filter.expiresFrom);
    if (filter.expiresTo !== undefined) q = q.where('expires_at', '<=', filter.expiresTo);
    switch (filter.status) {
      case 'revoked':
        q = q.where('revoked_at', 'is not', null);
        break;
      case 'expired':
        q = q.where('revoked_at', 'is', null).where('expires_at', '<=', now);
        break;
      case 'active':
        q = q
          .where('revoked_at', 'is', null)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
        break;
      case undefined:
        break;
    }
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toToken);
  }

  /**
   * A rotation: the token gets `newHash`, handed to `issuedTo` (null: unknown), and its current hash
   * is kept in token_rotations with who held it, valid until `validUntil`. False when the token is
   * missing, revoked, or its hash is no longer `oldHash` (a concurrent rotation won).
   */
  async rotate(
    id: string,
    oldHash: string,
    newHash: string,
    at: number,
    validUntil: number,
    issuedTo: string | null,
  ): Promise<boolean> {
    // The hash and its holder change together, so the holder read with the hash is the old secret's.
    const current = await this.db
      .selectFrom('tokens')
      .select('secret_issued_by')
      .where('id', '=', id)
      .where('hash', '=', oldHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!current) return false;
    const r = await this.db
      .updateTable('tokens')
      .set({ hash: newHash, rotated_at: at, secret_issued_by: issuedTo })
      .where('id', '=', id)
      .where('hash', '=', oldHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return false;
    // Secrets of earlier rotations end no later than this one's: rotating again (after a leak,
    // say) with no grace stops every former secret at once.
    await this.db
      .updateTable('token_rotations')
      .set({ valid_until: validUntil })
      .where('token_id', '=', id)
      .where('valid_until', '>', validUntil)
      .execute();
    await this.db
      .insertInto('token_rotations')
      .values({
        hash: oldHash,
        token_id: id,
        rotated_at: at,
        valid_until: validUntil,
        issued_by: current.secret_issued_by,
      })
      .execute();
    return true;
  }

  /**
   * Who holds the token's former secrets that still work at `now` (their grace period), one entry
   * per secret, oldest first; null: unknown (rotated before migration 0007).
   */
  async formerHolders(id: string, now: number): Promise<Array<string | null>> {
    const rows = await this.db
      .selectFrom('token_rotations')
      .select('issued_by')
      .where('token_id', '=', id)
      .where('valid_until', '>', now)
      .orderBy('rotated_at')
      .execute();
    return rows.map((r) => r.issued_by);
  }

  /** The token a rotated (former) secret belonged to, or null. */
  async findRotated(hash: string): Promise<RotatedSecret | null> {
    const r = await this.db
      .selectFrom('token_rotations')
      .select(['token_id', 'rotated_at', 'valid_until'])
      .where('hash', '=', hash)
      .executeTakeFirst();
    return r
      ? { tokenId: r.token_id, rotatedAt: Number(r.rotated_at), validUntil: Number(r.valid_until) }
      : null;
  }

  async updateDescription(id: string, description: string): Promise<boolean> {
    const r = await this.db
      .updateTable('tokens')
      .set({ description })
      .where('id', '=', id)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Revokes one token; false when it was already revoked or does not exist. */
  async revoke(id: string, at: number, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('tokens')
      .set({ revoked_at: at, revoked_by: by })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Revokes every unrevoked token of a user and returns them as they were. */
  async revokeAllOfUser(user: string, at: number, by: string): Promise<StoredToken[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('username', '=', user)
      .where('revoked_at', 'is', null)
      .execute();
    if (rows.length > 0) {
      await this.db
        .updateTable('tokens')
        .set({ revoked_at: at, revoked_by: by })
        .where('username', '=', user)
        .where('revoked_at', 'is', null)
        .execute();
    }
    return rows.map(toToken);
  }

  /**
   * Records last use and adds to the use count, one statement per token; called by the batcher,
   * never per request. The time only moves forward.
   */
  async touchLastUsed(batch: readonly LastUsed[]): Promise<void> {
    for (const u of batch) {
      await this.db
        .updateTable('tokens')
        .set({
          use_count: sql<number>`use_count + ${u.uses ?? 1}`,
          last_used_at: sql<number>`case when last_used_at is null or last_used_at < ${u.at} then ${u.at} else last_used_at end`,
          last_used_ip: sql<string>`case when last_used_at is null or last_used_at < ${u.at} then ${u.ip} else last_used_ip end`,
        })
        .where('id', '=', u.id)
        .execute();
    }
  }

  /** The most used tokens (by the batched use count), for the dashboard. */
  async mostUsed(limit: number): Promise<Array<StoredToken & { uses: number }>> {
    const rows = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('use_count', '>', 0)
      .orderBy('use_count', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...toToken(r), uses: Number(r.use_count) }));
  }
}
