import type { IpMatcher } from './ip-rules.js';
import { hasPermission } from './permissions.js';
import type { Settings } from '../settings.js';
import type { StoredToken } from '../token/token.js';
import { isUsernamePlaceholder, loginName, type User } from '../user.js';

/** Why a token was refused. The HTTP edge maps each to a status and a log line. */
export type TokenDenial =
  | 'unknown-token'
  | 'user-mismatch'
  | 'revoked'
  | 'rotated'
  | 'expired'
  | 'user-disabled'
  | 'no-permission'
  | 'ip-denied'
  | 'read-only';

export type TokenDecision =
  | { ok: true; token: StoredToken; user: User }
  | { ok: false; reason: TokenDenial; status: 401 | 403; token: StoredToken | null };

export interface TokenDecisionInput {
  /** The token the secret's hash found, or null. */
  token: StoredToken | null;
  tokenIps: IpMatcher;
  /** The token's owner as the directory has it now, or null when gone. */
  owner: User | null;
  /**
   * The user name from Basic credentials, as sent; null for Bearer. It must name the owner (in any
   * case unless auth.caseSensitiveUsernames), or be one of auth.tokenUsernamePlaceholders.
   */
  basicUser: string | null;
  /**
   * Whether a read token may make this request (method, plus the read rules for the path). A function
   * is called only for a live read token that passed every other check: the rules never run for a
   * secret that matches nothing (anyone can compute a valid checksum).
   */
  readRequest: boolean | (() => boolean);
  clientIp: string;
  now: number;
  settings: Settings;
  globalIps: IpMatcher;
}

/**
 * The authentication decision for a secret that is a tokengate token. Pure: every fact comes in as a
 * plain value, so the gateway, forward-auth, the middleware and the management API share it.
 * 401 means "these credentials do not authenticate"; 403 means "authenticated, but not allowed here".
 */
export function decideToken(i: TokenDecisionInput): TokenDecision {
  const t = i.token;
  if (!t) return { ok: false, reason: 'unknown-token', status: 401, token: null };
  if (i.basicUser !== null && !namesOwner(i.basicUser, t.user, i.settings))
    return { ok: false, reason: 'user-mismatch', status: 401, token: t };
  if (t.revokedAt !== null) return { ok: false, reason: 'revoked', status: 401, token: t };
  if (t.rotatedSecretValidUntil !== undefined && t.rotatedSecretValidUntil <= i.now)
    return { ok: false, reason: 'rotated', status: 401, token: t };
  if (t.expiresAt !== null && t.expiresAt <= i.now)
    return { ok: false, reason: 'expired', status: 401, token: t };
  if (!i.owner || i.owner.disabled) return { ok: false, reason: 'user-disabled', status: 401, token: t };
  if (!hasPermission(i.owner, 'useTokens', i.settings))
    return { ok: false, reason: 'no-permission', status: 403, token: t };
  if (!i.globalIps.matches(i.clientIp) || !i.tokenIps.matches(i.clientIp)) {
    return { ok: false, reason: 'ip-denied', status: 403, token: t };
  }
  if (t.scope === 'read' && !(typeof i.readRequest === 'function' ? i.readRequest() : i.readRequest)) {
    return { ok: false, reason: 'read-only', status: 403, token: t };
  }
  return { ok: true, token: t, user: i.owner };
}

/**
 * True when a Basic user name stands for the token's owner: their name (in any case, unless
 * auth.caseSensitiveUsernames is on), or a placeholder such as `x-token-auth`, where the token decides.
 */
function namesOwner(basicUser: string, owner: string, s: Settings): boolean {
  if (loginName(basicUser, s['auth.caseSensitiveUsernames']) === owner) return true;
  return isUsernamePlaceholder(basicUser, s['auth.tokenUsernamePlaceholders']);
}

/**
 * The user a Basic user name sent with a token claims to be, for a denial's log line, audit record and
 * brute-force count: null for Bearer and for a placeholder (x-token-auth, oauth2, ''), which names nobody.
 */
export function namedBasicUser(basicUser: string | null, s: Settings): string | null {
  return basicUser !== null && !isUsernamePlaceholder(basicUser, s['auth.tokenUsernamePlaceholders'])
    ? basicUser
    : null;
}

/** Plain-language reason, for logs and error messages. Never includes the secret. */
export const DENIAL_MESSAGES: Record<TokenDenial, string> = {
  'unknown-token': 'no matching token',
  'user-mismatch': 'the token belongs to another user',
  revoked: 'the token has been revoked',
  rotated: 'the secret was replaced by a rotation of the token, and its grace period is over',
  expired: 'the token has expired',
  'user-disabled': 'the token owner is disabled or deleted',
  'no-permission': 'the token owner lacks the useTokens permission',
  'ip-denied': 'the client IP is not allowed',
  'read-only': 'the token scope is read-only and covers GET, HEAD and OPTIONS',
};
