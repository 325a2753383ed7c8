import { randomBase62 } from '../domain/token/base62.js';
import { maskTokens, type RequestContext } from '../domain/audit/audit.js';
import { AppError } from '../domain/errors.js';
import { hasPermission, isAdmin, ownsServiceAccount, type Principal } from '../domain/auth/permissions.js';
import { generateToken } from '../domain/token/format.js';
import { hashToken } from '../domain/token/hash.js';
import { grantToken, type TokenRequest } from '../domain/token/policy.js';
import type { Settings } from '../domain/settings.js';
import type { StoredToken } from '../domain/token/token.js';
import type { StoredUser } from '../domain/user.js';
import type { Store } from '../store/store.js';
import { makeAudit, type ServiceDeps } from './context.js';
import type { SettingsService } from './settings-service.js';
import { canManageTokens, isOwnerGroupMember, toRecord, type CreatedToken } from './token-access.js';

export const TOKEN_ID_PREFIX = 'tok_';

/**
 * How the creator stands to the owner: the owner themselves, a token manager, or a member of the
 * owning group of the service account that will hold the token (issue 17).
 */
type CreatorRole = 'self' | 'manager' | 'owner-group';

async function creatorRole(
  deps: ServiceDeps,
  settings: SettingsService,
  p: Principal,
  owner: string,
): Promise<CreatorRole | null> {
  if (p.username === owner) return 'self';
  if (canManageTokens(p, settings)) return 'manager';
  return (await isOwnerGroupMember(deps.store, settings, p, owner)) ? 'owner-group' : null;
}

/**
 * Refuses a creation the caller may not make, before anything is generated or stored; returns how
 * the caller may.
 */
function checkMayCreate(
  p: Principal,
  settings: SettingsService,
  role: CreatorRole | null,
  req: TokenRequest,
): CreatorRole {
  if (role === null) {
    throw new AppError(
      'forbidden',
      "creating another user's token needs manageAllTokens, or for a service account membership of its owning group",
    );
  }
  // A member creates as a user creates for themselves: they may not grant what they could not take.
  if (role !== 'manager' && !hasPermission(p, 'createOwnTokens', settings.current)) {
    throw new AppError('forbidden', 'you may not create tokens (permissions.createOwnTokens)');
  }
  if (role === 'owner-group' && req.scope === 'write' && settings.current['tokens.forceReadOnly']) {
    throw new AppError(
      'policy_violation',
      "tokens.forceReadOnly is on: tokens you create, for yourself or for your group's service account, are read-only",
      { limit: 'tokens.forceReadOnly' },
    );
  }
  if (p.via === 'token') {
    // As in Atlassian Data Center: a token cannot mint tokens, or a narrow one could mint a wide one.
    throw new AppError(
      'forbidden',
      'tokens cannot create tokens: sign in with a password (or the web UI) to create one',
    );
  }
  return role;
}

/**
 * The checks that need the owner's row, in the caller's transaction: the owner exists and is
 * enabled, a manager is not creating for an admin, a member's service account still belongs to
 * their group, and the owner is under tokens.maxPerUser.
 */
async function checkOwner(
  tx: Store,
  p: Principal,
  owner: string,
  role: CreatorRole,
  settings: Settings,
  now: number,
): Promise<StoredUser> {
  const user = await tx.users.find(owner);
  if (!user) throw new AppError('not_found', `user ${maskTokens(owner)} does not exist`);
  if (user.disabled) throw new AppError('conflict', `user ${owner} is disabled`);
  if (role === 'owner-group' && !ownsServiceAccount(p, user, settings))
    throw new AppError('conflict', `${owner} changed meanwhile (its owning group or groups); try again`);
  if (role !== 'self' && !isAdmin(p) && isAdmin(user)) {
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
  return user;
}

/**
 * Creates a token for `owner`. Creating for someone else needs `manageAllTokens`, or, for a service
 * account, membership of its owning group (then with the limits of creating for oneself).
 */
export async function createToken(
  deps: ServiceDeps,
  settingsService: SettingsService,
  p: Principal,
  ctx: RequestContext,
  owner: string,
  req: TokenRequest,
): Promise<CreatedToken> {
  const settings = settingsService.current;
  const role = checkMayCreate(p, settingsService, await creatorRole(deps, settingsService, p, owner), req);
  const self = role === 'self';
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
    const account = await checkOwner(tx, p, owner, role, settings, now);
    const asMember =
      role === 'owner-group' ? `, a member of its owning group ${account.ownerGroup ?? ''}` : '';
    await tx.tokens.insert(stored);
    await tx.audit.append([
      audit({
        category: 'tokens',
        action: 'token.created',
        summary: self
          ? `Token "${stored.description}" created by ${owner}`
          : `Token "${stored.description}" created for ${owner} by ${p.username}${asMember}`,
        affectedUser: owner,
        tokenId: stored.id,
        tokenDescription: stored.description,
        details: {
          ...(role === 'owner-group' ? { ownerGroup: account.ownerGroup } : {}),
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
