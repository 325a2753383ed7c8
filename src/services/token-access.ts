import { AppError } from '../domain/errors.js';
import { maskTokens } from '../domain/audit/audit.js';
import { hasPermission, type Principal } from '../domain/auth/permissions.js';
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
 * A token the caller may see: their own, or any with `manageAllTokens` (when `asManager`).
 * Someone else's token is reported as missing, so ids cannot be probed.
 */
export async function findVisibleToken(
  store: Store,
  settings: SettingsService,
  p: Principal,
  id: string,
  asManager: boolean,
): Promise<StoredToken> {
  const t = await store.tokens.findById(id);
  const allowed = t !== null && (t.user === p.username || (asManager && canManageTokens(p, settings)));
  if (!t || !allowed) throw new AppError('not_found', `token ${maskTokens(id)} does not exist`);
  return t;
}
