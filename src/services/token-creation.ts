import { randomBase62 } from '../domain/token/base62.js';
import { maskTokens, type RequestContext } from '../domain/audit/audit.js';
import { AppError } from '../domain/errors.js';
import { hasPermission, isAdmin, type Principal } from '../domain/auth/permissions.js';
import { generateToken } from '../domain/token/format.js';
import { hashToken } from '../domain/token/hash.js';
import { grantToken, type TokenRequest } from '../domain/token/policy.js';
import type { Settings } from '../domain/settings.js';
import type { StoredToken } from '../domain/token/token.js';
import type { Store } from '../store/store.js';
import { makeAudit, type ServiceDeps } from './context.js';
import type { SettingsService } from './settings-service.js';
import { canManageTokens, toRecord, type CreatedToken } from './token-access.js';

export const TOKEN_ID_PREFIX = 'tok_';

/** Refuses a creation the caller may not make, before anything is generated or stored. */
function checkMayCreate(p: Principal, settings: SettingsService, self: boolean): void {
  if (self ? !hasPermission(p, 'createOwnTokens', settings.current) : !canManageTokens(p, settings)) {
    throw new AppError(
      'forbidden',
      self
        ? 'you may not create tokens (permissions.createOwnTokens)'
        : "creating another user's token needs manageAllTokens",
    );
  }
  if (p.via === 'token') {
    // As in Atlassian Data Center: a token cannot mint tokens, or a narrow one could mint a wide one.
    throw new AppError(
      'forbidden',
      'tokens cannot create tokens: sign in with a password (or the web UI) to create one',
    );
  }
}

/**
 * The checks that need the owner's row, in the caller's transaction: the owner exists and is
 * enabled, a manager is not creating for an admin, and the owner is under tokens.maxPerUser.
 */
async function checkOwner(
  tx: Store,
  p: Principal,
  owner: string,
  self: boolean,
  settings: Settings,
  now: number,
): Promise<void> {
  const user = await tx.users.find(owner);
  if (!user) throw new AppError('not_found', `user ${maskTokens(owner)} does not exist`);
  if (user.disabled) throw new AppError('conflict', `user ${owner} is disabled`);
  if (!self && !isAdmin(p) && isAdmin(user)) {
    // A token manager must not be able to act as an administrator through an admin's token.
    throw new AppError(
      'forbidden',
      `only the admin group may create tokens for ${owner}, a member of the admin group`,
    );
  }
  await tx.lockUser(owner);
  const max = settings['tokens.maxPerUser'];
  if ((await tx.tokens.countActive(owner, now)) >= max) {
    throw new AppError(
      'policy_violation',
      `${owner} already has ${max} active tokens, the most allowed (tokens.maxPerUser); revoke one first`,
      { limit: 'tokens.maxPerUser', maxPerUser: max },
    );
  }
}

/** Creates a token for `owner`. Creating for someone else needs `manageAllTokens`. */
export async function createToken(
  deps: ServiceDeps,
  settingsService: SettingsService,
  p: Principal,
  ctx: RequestContext,
  owner: string,
  req: TokenRequest,
): Promise<CreatedToken> {
  const settings = settingsService.current;
  const self = p.username === owner;
  checkMayCreate(p, settingsService, self);
  const now = deps.now();
  const grant = grantToken(req, settings, now, self);
  const plain = generateToken(settings['tokens.prefix']);
  const stored: StoredToken = {
    id: TOKEN_ID_PREFIX + randomBase62(16),
    hash: hashToken(plain),
    user: owner,
    description: grant.description,
    scope: grant.scope,
    createdAt: now,
    createdBy: p.username,
    expiresAt: grant.expiresAt,
    lastUsedAt: null,
    lastUsedIp: null,
    allowedIps: grant.allowedIps,
    rateLimit: grant.rateLimit,
    revokedAt: null,
    revokedBy: null,
    secretIssuedBy: p.username,
  };
  const audit = makeAudit(deps, ctx, now);
  await deps.store.transaction(async (tx) => {
    await checkOwner(tx, p, owner, self, settings, now);
    await tx.tokens.insert(stored);
    await tx.audit.append([
      audit({
        category: 'tokens',
        action: 'token.created',
        summary: self
          ? `Token "${stored.description}" created by ${owner}`
          : `Token "${stored.description}" created for ${owner} by ${p.username}`,
        affectedUser: owner,
        tokenId: stored.id,
        tokenDescription: stored.description,
        details: {
          scope: stored.scope,
          expiresAt: stored.expiresAt === null ? null : new Date(stored.expiresAt).toISOString(),
          allowedIps: stored.allowedIps,
          rateLimit: stored.rateLimit,
        },
      }),
    ]);
  });
  return { token: plain, record: toRecord(stored) };
}
