import type { RequestContext } from '../domain/audit/audit.js';
import { AppError } from '../domain/errors.js';
import type { Principal } from '../domain/auth/permissions.js';
import { checkDescription, type TokenRequest } from '../domain/token/policy.js';
import type { Settings } from '../domain/settings.js';
import type { StoredToken, TokenRecord } from '../domain/token/token.js';
import type { TokenCursor, TokenFilter } from '../store/token-repo.js';
import { makeAudit, type ServiceDeps } from './context.js';
import type { SettingsService } from './settings-service.js';
import {
  canManageTokens,
  findVisibleToken,
  mayManageTokensOf,
  mayUseTokenManager,
  toRecord,
  type CreatedToken,
} from './token-access.js';
import { createToken } from './token-creation.js';
import { revokeAllTokensOfUser, revokeToken, revokeTokenAutomatically } from './token-revocation.js';
import { rotateToken } from './token-rotation.js';
import { revokeOnSettingsWidening } from './token-widening.js';

// The steps live in files of their own (token-access, token-creation, token-rotation,
// token-revocation, token-widening); callers import their names from there.

export interface TokenPage {
  items: TokenRecord[];
  next: TokenCursor | null;
}

/**
 * Token life cycle with its authorization rules: who may create, see, change and revoke which token.
 * The CLI and the REST API both come through here, so the rules hold for both.
 */
export class TokenService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly settings: SettingsService,
  ) {}

  /**
   * Creates a token for `owner`. Creating for someone else needs `manageAllTokens`, or, for a
   * service account, membership of its owning group ({@link createToken}).
   */
  create(p: Principal, ctx: RequestContext, owner: string, req: TokenRequest): Promise<CreatedToken> {
    return createToken(this.deps, this.settings, p, ctx, owner, req);
  }

  /** The caller's own tokens, every status, newest first. */
  async listOwn(p: Principal): Promise<TokenRecord[]> {
    const rows = await this.deps.store.tokens.search({ user: p.username }, this.deps.now(), 10_000);
    return rows.map(toRecord);
  }

  /**
   * Whether `p` may use the token manager at all: a token manager, or a member of the owning group
   * of some service account ({@link mayUseTokenManager}).
   */
  mayUseTokenManager(p: Principal): Promise<boolean> {
    return mayUseTokenManager(this.deps.store, this.settings, p);
  }

  /**
   * The token manager's search across all users. A member of a service account's owning group
   * searches that account's tokens only: `filter.user` must name it.
   */
  async search(p: Principal, filter: TokenFilter, limit: number, after?: TokenCursor): Promise<TokenPage> {
    const allowed =
      filter.user === undefined
        ? canManageTokens(p, this.settings)
        : await mayManageTokensOf(this.deps.store, this.settings, p, filter.user);
    if (!allowed)
      throw new AppError(
        'forbidden',
        "listing all tokens needs manageAllTokens; a service account's owning group lists its tokens with user=<account>",
      );
    const rows = await this.deps.store.tokens.search(filter, this.deps.now(), limit + 1, after);
    const items = rows.slice(0, limit).map(toRecord);
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null };
  }

  /**
   * A token the caller may see: their own, or (when `asManager`) any with `manageAllTokens` and any
   * of a service account of their group. Any other token is reported as missing, so ids cannot be
   * probed.
   */
  async get(p: Principal, id: string, asManager = false): Promise<TokenRecord> {
    return toRecord(await findVisibleToken(this.deps.store, this.settings, p, id, asManager));
  }

  async updateDescription(
    p: Principal,
    ctx: RequestContext,
    id: string,
    description: string,
    asManager = false,
  ): Promise<TokenRecord> {
    const desc = checkDescription(description);
    const t = await findVisibleToken(this.deps.store, this.settings, p, id, asManager);
    if (t.description === desc) return toRecord(t);
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    await this.deps.store.transaction(async (tx) => {
      await tx.tokens.updateDescription(id, desc);
      await tx.audit.append([
        audit({
          category: 'tokens',
          action: 'token.updated',
          summary: `Token "${desc}" of ${t.user}: description changed`,
          affectedUser: t.user,
          tokenId: id,
          tokenDescription: desc,
          details: { oldDescription: t.description, newDescription: desc },
        }),
      ]);
      await tx.changes.record('token', [id], now);
    });
    this.deps.feed.publish('token', [id]);
    return { ...toRecord(t), description: desc };
  }

  /**
   * Rotates a token: a new secret for the same record. The old secret works `graceSeconds` longer
   * (default tokens.rotationGraceSeconds). Who may, and how: see {@link rotateToken}.
   */
  rotate(
    p: Principal,
    ctx: RequestContext,
    id: string,
    graceSeconds?: number,
    asManager = false,
  ): Promise<CreatedToken> {
    return rotateToken(this.deps, this.settings, p, ctx, id, graceSeconds, asManager);
  }

  /** Revokes one token. Revoking a revoked token changes nothing and writes no audit record. */
  revoke(p: Principal, ctx: RequestContext, id: string, asManager = false): Promise<TokenRecord> {
    return revokeToken(this.deps, this.settings, p, ctx, id, asManager);
  }

  /** Revokes every token of a user at once; one audit record per token. Returns the revoked ids. */
  revokeAllOfUser(p: Principal, ctx: RequestContext, owner: string): Promise<string[]> {
    return revokeAllTokensOfUser(this.deps, this.settings, p, ctx, owner);
  }

  /**
   * Revokes a token without a user asking: a leak report, reuse of a rotated secret, or disuse.
   * Returns the token as it was, or null when it was already revoked or does not exist
   * ({@link revokeTokenAutomatically}).
   */
  revokeAutomatically(
    id: string,
    ctx: RequestContext,
    reason: 'leaked' | 'reused' | 'unused',
    summary: string,
    details: Record<string, unknown> = {},
  ): Promise<StoredToken | null> {
    return revokeTokenAutomatically(this.deps, id, ctx, reason, summary, details);
  }

  /**
   * After a settings change: every user whose groups now grant more management powers loses the
   * tokens someone else created for them ({@link revokeOnSettingsWidening}).
   */
  revokeOnSettingsWidening(before: Settings, after: Settings): Promise<string[]> {
    return revokeOnSettingsWidening(this.deps, before, after);
  }
}
