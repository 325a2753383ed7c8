import type { Kysely } from 'kysely';
import type { Scope } from '../domain/token/token.js';
import type { Database } from './schema.js';

/** A token due for a warning, with what the notice needs of its owner. */
export interface ExpiringToken {
  id: string;
  user: string;
  description: string;
  scope: Scope;
  expiresAt: number;
  owner: { username: string; displayName: string; email: string | null };
}

/** What the audit record of a pruned or revoked token names. */
export interface LifecycleToken {
  id: string;
  user: string;
  description: string;
  expiresAt: number | null;
  createdAt: number;
  lastUsedAt: number | null;
}

const scope = (s: string): Scope => (s === 'write' ? 'write' : 'read');

/**
 * The queries of the token life-cycle job (src/services/token-lifecycle.ts). Every change here is
 * conditional on the state it was selected in, so nodes running the job at the same time on one
 * database each change a row at most once between them: the one whose statement changed the row
 * writes the audit record and sends the notice, the others see 0 rows and do nothing.
 */
export class TokenLifecycleRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Active tokens (not revoked, not expired) expiring by `until`, not warned yet; soonest first. */
  async dueForWarning(now: number, until: number, limit: number): Promise<ExpiringToken[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .innerJoin('users', 'users.username', 'tokens.username')
      .select([
        'tokens.id',
        'tokens.username',
        'tokens.description',
        'tokens.scope',
        'tokens.expires_at',
        'users.display_name',
        'users.email',
      ])
      .where('tokens.revoked_at', 'is', null)
      .where('tokens.expiry_warned_at', 'is', null)
      .where('tokens.expires_at', '>', now)
      .where('tokens.expires_at', '<=', until)
      .orderBy('tokens.expires_at')
      .orderBy('tokens.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      user: r.username,
      description: r.description,
      scope: scope(r.scope),
      expiresAt: Number(r.expires_at),
      owner: { username: r.username, displayName: r.display_name, email: r.email },
    }));
  }

  /**
   * Claims the expiry warning of a token: true for exactly one caller, however many nodes try at
   * once (the row is changed only while `expiry_warned_at` is null and the token not revoked).
   */
  async claimWarning(id: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('tokens')
      .set({ expiry_warned_at: at })
      .where('id', '=', id)
      .where('expiry_warned_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Tokens that expired at or before `cutoff` (revoked or not); longest expired first. */
  async expiredBefore(cutoff: number, limit: number): Promise<LifecycleToken[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .select(['id', 'username', 'description', 'expires_at', 'created_at', 'last_used_at'])
      .where('expires_at', '<=', cutoff)
      .orderBy('expires_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toLifecycle);
  }

  /**
   * Deletes a token that expired at or before `cutoff`, with its former secrets; true when this
   * call deleted it (false: another node was first, or its user was deleted with it).
   */
  async deleteExpired(id: string, cutoff: number): Promise<boolean> {
    // The foreign key cascades on both databases; deleting first keeps that true without relying on it.
    await this.db.deleteFrom('token_rotations').where('token_id', '=', id).execute();
    const r = await this.db
      .deleteFrom('tokens')
      .where('id', '=', id)
      .where('expires_at', '<=', cutoff)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /**
   * Active tokens whose last use (their creation, when never used) is at or before `cutoff`;
   * longest unused first.
   */
  async unusedSince(cutoff: number, now: number, limit: number): Promise<LifecycleToken[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .select(['id', 'username', 'description', 'expires_at', 'created_at', 'last_used_at'])
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where((eb) =>
        eb.or([
          eb.and([eb('last_used_at', 'is', null), eb('created_at', '<=', cutoff)]),
          eb('last_used_at', '<=', cutoff),
        ]),
      )
      .orderBy((eb) => eb.fn.coalesce('last_used_at', 'created_at'))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toLifecycle);
  }
}

function toLifecycle(r: {
  id: string;
  username: string;
  description: string;
  expires_at: number | null;
  created_at: number;
  last_used_at: number | null;
}): LifecycleToken {
  return {
    id: r.id,
    user: r.username,
    description: r.description,
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}
