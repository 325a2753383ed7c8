import { maskTokens, type RequestContext } from '../domain/audit/audit.js';
import { AppError } from '../domain/errors.js';
import type { Principal } from '../domain/auth/permissions.js';
import type { StoredToken, TokenRecord } from '../domain/token/token.js';
import { makeAudit, type ServiceDeps } from './context.js';
import type { SettingsService } from './settings-service.js';
import { findVisibleToken, mayManageTokensOf, toRecord } from './token-access.js';

/** Revokes one token. Revoking a revoked token changes nothing and writes no audit record. */
export async function revokeToken(
  deps: ServiceDeps,
  settings: SettingsService,
  p: Principal,
  ctx: RequestContext,
  id: string,
  asManager: boolean,
): Promise<TokenRecord> {
  const t = await findVisibleToken(deps.store, settings, p, id, asManager);
  const now = deps.now();
  const audit = makeAudit(deps, ctx, now);
  const done = await deps.store.transaction(async (tx) => {
    if (!(await tx.tokens.revoke(id, now, p.username))) return false;
    await tx.audit.append([
      audit({
        category: 'tokens',
        action: 'token.revoked',
        summary:
          p.username === t.user
            ? `Token "${t.description}" revoked by ${t.user}`
            : `Token "${t.description}" of ${t.user} revoked by ${p.username}`,
        affectedUser: t.user,
        tokenId: id,
        tokenDescription: t.description,
        details: { scope: t.scope },
      }),
    ]);
    await tx.changes.record('token', [id], now);
    return true;
  });
  if (done) deps.feed.publish('token', [id]);
  return done ? { ...toRecord(t), revokedAt: now, revokedBy: p.username } : toRecord(t);
}

/**
 * Revokes every token of a user at once; one audit record per token. Returns the revoked ids. Needs
 * manageAllTokens, or, for a service account, membership of its owning group.
 */
export async function revokeAllTokensOfUser(
  deps: ServiceDeps,
  settings: SettingsService,
  p: Principal,
  ctx: RequestContext,
  owner: string,
): Promise<string[]> {
  if (!(await mayManageTokensOf(deps.store, settings, p, owner)))
    throw new AppError(
      'forbidden',
      "revoking another user's tokens needs manageAllTokens, or for a service account membership of its owning group",
    );
  const now = deps.now();
  const audit = makeAudit(deps, ctx, now);
  const ids = await deps.store.transaction(async (tx) => {
    if (!(await tx.users.find(owner)))
      throw new AppError('not_found', `user ${maskTokens(owner)} does not exist`);
    const revoked = await tx.tokens.revokeAllOfUser(owner, now, p.username);
    await tx.audit.append(
      revoked.map((t) =>
        audit({
          category: 'tokens',
          action: 'token.revoked',
          summary: `Token "${t.description}" of ${owner} revoked by ${p.username} (all tokens of the user)`,
          affectedUser: owner,
          tokenId: t.id,
          tokenDescription: t.description,
          details: { scope: t.scope, bulk: true, count: revoked.length },
        }),
      ),
    );
    const revokedIds = revoked.map((t) => t.id);
    await tx.changes.record('token', revokedIds, now);
    return revokedIds;
  });
  deps.feed.publish('token', ids);
  return ids;
}

/**
 * Revokes a token without a user asking: a leak report, reuse of a rotated secret, or disuse. The
 * audit record (`token.revoked`) names the reason and its details (e.g. the URL where a leak was
 * found); `by` is who or what revoked it (`@secret-scanning`, `@lifecycle`…). Returns the token as
 * it was, or null when it was already revoked or does not exist.
 */
export async function revokeTokenAutomatically(
  deps: ServiceDeps,
  id: string,
  ctx: RequestContext,
  reason: 'leaked' | 'reused' | 'unused',
  summary: string,
  details: Record<string, unknown>,
): Promise<StoredToken | null> {
  const now = deps.now();
  const audit = makeAudit(deps, ctx, now);
  const t = await deps.store.transaction(async (tx) => {
    const token = await tx.tokens.findById(id);
    if (!token || !(await tx.tokens.revoke(id, now, ctx.author))) return null;
    await tx.audit.append([
      audit({
        category: 'tokens',
        action: 'token.revoked',
        summary,
        affectedUser: token.user,
        tokenId: id,
        tokenDescription: token.description,
        details: { reason, scope: token.scope, ...details },
      }),
    ]);
    await tx.changes.record('token', [id], now);
    return token;
  });
  if (t) deps.feed.publish('token', [id]);
  return t;
}
