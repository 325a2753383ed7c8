import { maskTokens, SECURITY_BLOCKED, type AuditEvent } from '../domain/audit/audit.js';
import { describeWindow } from '../domain/auth/rate-limit.js';
import type { BlockNotice } from './brute-force.js';
import type { GatewayDenial } from '../domain/auth/decide.js';
import type { Settings } from '../domain/settings.js';
import type { AuthEvent } from './gateway.js';
import { DENIAL_TEXT } from './messages.js';
import { claimedUsername } from '../domain/user.js';

/** The selectable authentication events, by the setting that turns each on. */
export type AuthEventSetting =
  | 'audit.events.authSuccess'
  | 'audit.events.authFailedToken'
  | 'audit.events.authFailedVerification'
  | 'audit.events.permissionDenied'
  | 'audit.events.rateLimited';

const SETTING_BY_DENIAL: Record<GatewayDenial, AuthEventSetting> = {
  'unknown-token': 'audit.events.authFailedVerification',
  'read-only': 'audit.events.permissionDenied',
  'no-permission': 'audit.events.permissionDenied',
  'not-a-token': 'audit.events.authFailedToken',
  'ip-denied': 'audit.events.authFailedToken',
  'password-ip-denied': 'audit.events.authFailedToken',
  revoked: 'audit.events.authFailedToken',
  rotated: 'audit.events.authFailedToken',
  expired: 'audit.events.authFailedToken',
  'user-disabled': 'audit.events.authFailedToken',
  'user-mismatch': 'audit.events.authFailedToken',
  malformed: 'audit.events.authFailedToken',
  'no-credentials': 'audit.events.authFailedToken',
  'token-in-url': 'audit.events.authFailedToken',
  'session-ip-denied': 'audit.events.authFailedToken',
};

const ACTION_BY_SETTING: Record<AuthEventSetting, string> = {
  'audit.events.authSuccess': 'auth.success',
  'audit.events.authFailedToken': 'auth.failed',
  'audit.events.authFailedVerification': 'auth.verification-failed',
  'audit.events.permissionDenied': 'auth.permission-denied',
  'audit.events.rateLimited': 'auth.rate-limited',
};

/**
 * A user name as the client claimed it goes into a record as the directory user it stands for
 * (`ADMIN` is admin, so a search for admin's failed logins finds it), and only when a user could
 * have it. Anything else (a token pasted as the user name, 80 characters of junk, a spreadsheet
 * formula) is left out, so no secret lands in the tamper-evident log and no column overflows.
 */
const claimedUser = claimedUsername;

const METHOD = /^[A-Z][A-Z-]{0,15}$/;

/** True when no selectable event is on: the gateway then skips building events altogether. */
export function noAuthEventsOn(s: Settings): boolean {
  return !(
    s['audit.events.authSuccess'] ||
    s['audit.events.authFailedToken'] ||
    s['audit.events.authFailedVerification'] ||
    s['audit.events.permissionDenied'] ||
    s['audit.events.rateLimited']
  );
}

type Denied = Extract<AuthEvent['result']['outcome'], { kind: 'denied' }>;

/** The parts of a denial's audit record: a failed authentication, or a permission denied. */
function deniedEntry(
  o: Denied,
  method: string,
): {
  setting: AuthEventSetting;
  author: string;
  affectedUser: string | null;
  token: Denied['token'];
  outcome: string;
  summary: string;
  details: Record<string, unknown>;
} {
  const setting = SETTING_BY_DENIAL[o.reason];
  const affectedUser = o.token ? o.token.user : claimedUser(o.username);
  // A valid token refused for its scope or permission still authenticated its owner.
  const author = setting === 'audit.events.permissionDenied' && o.token ? o.token.user : 'anonymous';
  const text = DENIAL_TEXT[o.reason];
  const who = affectedUser ?? (o.username === null ? 'anonymous' : 'an invalid user name');
  const summary =
    setting === 'audit.events.permissionDenied'
      ? `Permission denied for ${who}: ${text}${o.reason === 'read-only' ? `; the method was ${method}` : ''}`
      : `Token authentication failed for ${who}: ${text}`;
  const details = { status: o.status, ...(o.token ? { scope: o.token.scope } : {}) };
  return { setting, author, affectedUser, token: o.token, outcome: o.reason, summary, details };
}

/** A success without a token: a browser's gateway session, or a directory password. */
function withoutTokenEntry(o: { kind: 'session' | 'password'; user: { username: string } }) {
  const name = o.user.username;
  return {
    setting: 'audit.events.authSuccess' as const,
    author: name,
    affectedUser: name,
    outcome: 'success',
    summary:
      o.kind === 'session'
        ? `User ${name} authenticated with a gateway session (single sign-on)`
        : `User ${name} authenticated with a password`,
    details: { via: o.kind },
  };
}

/**
 * The audit record of an authentication outcome, or null when its event is off (or the outcome is
 * not an event: anonymous and passed-on requests). Pure. The author is the real authenticated user
 * (for successes, permission denials and rate limits); `anonymous` only when nobody authenticated.
 * The client and proxy IPs come from the trusted-proxy walk, each in its own field.
 */
export function authAuditEvent(e: AuthEvent, settings: Settings, nodeId: string): AuditEvent | null {
  const o = e.result.outcome;
  const method = METHOD.test(e.request.method) ? e.request.method : 'INVALID';
  let setting: AuthEventSetting;
  let author = 'anonymous';
  let affectedUser: string | null = null;
  let token: { id: string; description: string; scope: string } | null = null;
  let summary: string;
  let outcome: string;
  let details: Record<string, unknown> | null = null;
  switch (o.kind) {
    // Refusals while a block lasts are not recorded one by one: the block itself is (security.blocked).
    case 'anonymous':
    case 'passed-on':
    case 'blocked':
      return null;
    case 'authenticated':
      setting = 'audit.events.authSuccess';
      author = o.user.username;
      affectedUser = o.user.username;
      token = o.token;
      outcome = 'success';
      summary = `User ${o.user.username} authenticated with token "${o.token.description}"`;
      details = { scope: o.token.scope };
      break;
    // A browser's gateway session (auth.browser); a directory password the management and
    // compatibility APIs checked.
    case 'session':
    case 'password':
      ({ setting, author, affectedUser, outcome, summary, details } = withoutTokenEntry(o));
      break;
    case 'password-failed':
      setting = 'audit.events.authFailedToken';
      affectedUser = claimedUser(o.username);
      outcome = 'invalid-password';
      summary = `Password authentication failed for ${affectedUser ?? 'an invalid user name'}: the user name or password is wrong`;
      details = { status: 401, via: 'password' };
      break;
    case 'rate-limited':
      setting = 'audit.events.rateLimited';
      author = o.user.username;
      affectedUser = o.user.username;
      token = o.token;
      outcome = 'rate-limited';
      summary = `User ${o.user.username} was rate limited: ${o.decision.limit} requests per ${o.decision.windowMs / 1000} s`;
      details = {
        limit: o.decision.limit,
        windowSeconds: o.decision.windowMs / 1000,
        retryAfterSeconds: Math.ceil(o.decision.retryAfterMs / 1000),
      };
      break;
    case 'denied':
      ({ setting, author, affectedUser, token, outcome, summary, details } = deniedEntry(o, method));
      break;
  }
  if (!settings[setting]) return null;
  return {
    ts: e.at,
    category: 'authentication',
    action: ACTION_BY_SETTING[setting],
    summary,
    author,
    affectedUser,
    tokenId: token?.id ?? null,
    tokenDescription: token?.description ?? null,
    sourceIp: e.result.client.clientIp,
    proxyIp: e.result.client.proxyIp,
    nodeId,
    requestId: maskTokens(e.request.requestId),
    method,
    endpoint: maskTokens(e.request.path),
    outcome,
    details,
  };
}

/**
 * The always-on record of a brute-force block, written once per block (by the node whose count
 * crossed the limit). Pure. The author is `@system`: tokengate decided it, nobody authenticated.
 */
export function blockAuditEvent(n: BlockNotice, nodeId: string): AuditEvent {
  const a = n.attempt;
  const what = n.subject === 'ip' ? `Client IP ${n.value}` : `Password authentication for user ${n.value}`;
  return {
    ts: n.at,
    category: 'authentication',
    action: SECURITY_BLOCKED,
    summary: `${what} blocked for ${describeWindow(n.until - n.at)} after ${n.rule.maxFailures} failed authentication attempts within ${describeWindow(n.rule.windowMs)}`,
    author: '@system',
    affectedUser: n.subject === 'user' ? n.value : claimedUser(a.username),
    tokenId: null,
    tokenDescription: null,
    sourceIp: a.clientIp,
    proxyIp: a.proxyIp,
    nodeId,
    requestId: maskTokens(a.requestId),
    method: a.method !== null && METHOD.test(a.method) ? a.method : null,
    endpoint: maskTokens(a.endpoint),
    outcome: 'blocked',
    details: {
      subject: n.subject,
      blocked: n.value,
      maxFailures: n.rule.maxFailures,
      windowSeconds: n.rule.windowMs / 1000,
      blockSeconds: Math.round((n.until - n.at) / 1000),
      until: new Date(n.until).toISOString(),
    },
  };
}
