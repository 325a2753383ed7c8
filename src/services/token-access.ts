import { AppError } from '../domain/errors.js';
import { maskTokens } from '../domain/audit/audit.js';
import { hasPermission, ownsServiceAccount, type Principal } from '../domain/auth/permissions.js';
import type { StoredToken, TokenRecord } from '../domain/token/token.js';
import type { Store } from '../store/store.js';
import type { SettingsService } from './settings-service.js';

export interface CreatedToken {
  /** The plain token. Returned here once; it is never stored or shown again. */
  token: string;
  record: TokenRecord;
}

/** Strips the hash: what leaves the token service is a record, never the stored form. */
export function toRecord(t: StoredToken): TokenRecord {
  const { hash: _hash, rotatedSecretValidUntil: _old, ...rest } = t;
  return rest;
}

/** Whether `p` may manage every user's tokens, under the settings in force now. */
export function canManageTokens(p: Principal, settings: SettingsService): boolean {
  return hasPermission(p, 'manageAllTokens', settings.current);
}

/**
 * Whether `p` manages `owner`'s tokens as a member of its owning group ({@link ownsServiceAccount}:
 * `owner` is a service account of one of `p`'s groups, with no management power `p` lacks), and is
 * still enabled: `p` was enabled when it authenticated, but a member disabled since (on another
 * node, before the change reached this one) may do nothing.
 */
export async function isOwnerGroupMember(
  store: Store,
  settings: SettingsService,
  p: Principal,
  owner: string,
): Promise<boolean> {
  if (p.username === owner) return false;
  const account = await store.users.find(owner);
  if (!account || !ownsServiceAccount(p, account, settings.current)) return false;
  const member = await store.users.find(p.username);
  return member !== null && !member.disabled;
}

/** Whether `p` may manage the tokens of `owner`, someone else: as a token manager, or as an owner. */
export async function mayManageTokensOf(
  store: Store,
  settings: SettingsService,
  p: Principal,
  owner: string,
): Promise<boolean> {
  return canManageTokens(p, settings) || isOwnerGroupMember(store, settings, p, owner);
}

/**
 * Whether `p` may use the token manager's routes at all: a token manager, or a member of the owning
 * group of some service account. Each route then checks the token or the user it is about.
 */
export async function mayUseTokenManager(
  store: Store,
  settings: SettingsService,
  p: Principal,
): Promise<boolean> {
  if (canManageTokens(p, settings)) return true;
  const accounts = await store.users.listBySource('service');
  return accounts.some((a) => ownsServiceAccount(p, a, settings.current));
}

/**
 * A token the caller may see: their own, or (when `asManager`) any with `manageAllTokens` and any of
 * a service account whose owning group they belong to. Any other token is reported as missing, so
 * ids cannot be probed.
 */
export async function findVisibleToken(
  store: Store,
  settings: SettingsService,
  p: Principal,
  id: string,
  asManager: boolean,
): Promise<StoredToken> {
  const t = await store.tokens.findById(id);
  const allowed =
    t !== null &&
    (t.user === p.username || (asManager && (await mayManageTokensOf(store, settings, p, t.user))));
  if (!t || !allowed) throw new AppError('not_found', `token ${maskTokens(id)} does not exist`);
  return t;
}
