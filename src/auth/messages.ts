import type { GatewayDenial, GatewayOutcome } from '../domain/auth/decide.js';
import { describeWindow, type RateDecision } from '../domain/auth/rate-limit.js';
import type { LogStyle, Settings } from '../domain/settings.js';
import type { Scope } from '../domain/token/token.js';
import type { Block } from '../domain/auth/decide.js';
import type { BlockNotice } from './brute-force.js';
import { DENIAL_MESSAGES } from '../domain/auth/token-decision.js';
import { blockReason, denialReason } from '../domain/auth/render.js';

// The client's words for denials and blocks are the pure renderer's; the log lines below reuse them.
export { blockReason, denialForClient, MALFORMED_MESSAGE } from '../domain/auth/render.js';

/**
 * The log messages of the authentication outcomes. The wording is ours; the facts and their order
 * follow the seed product's lines (description, scope, user, created date, endpoint…), so that log
 * analyzer rules written for it keep matching. No message ever contains a secret.
 */

/** Short plain reasons, for audit summaries. */
export const DENIAL_TEXT: Record<GatewayDenial, string> = {
  ...DENIAL_MESSAGES,
  'no-credentials': 'no credentials were provided and authentication is required',
  malformed: 'the Authorization header is malformed or holds a malformed token',
  'not-a-token': 'no valid API token was provided and password authentication is disabled',
  'password-ip-denied': 'the client IP is not allowed',
  'session-ip-denied': 'the client IP is not allowed',
  'token-in-url': 'a tokengate token was sent in the URL (access_token or private_token)',
};

/**
 * A user name as a line shows it: as sent when it is one word, else quoted as JSON, so that a claimed
 * name such as `admin failed` cannot pass for words of the sentence around it.
 */
function shown(name: string): string {
  return /^[^\s"\\]{1,128}$/u.test(name) ? name : JSON.stringify(name.slice(0, 128));
}

const SCOPE_NAMES: Record<Scope, string> = { read: 'Read Only', write: 'Read & Write' };

/** Made on first use: building it loads ICU's locale data, 10-30 ms that a CLI command mostly never needs. */
let created: Intl.DateTimeFormat | undefined;

/** `Sep 22, 2020, 2:43:30 PM UTC`, like the seed's "Token was created on Sep 22, 2020 2:43:30 PM". */
export function createdDate(ms: number): string {
  created ??= new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
    timeZone: 'UTC',
  });
  // Some ICU versions put a narrow no-break space before AM/PM; log rules expect a plain space.
  return `${created.format(ms).replace(/[\u202f\u00a0]/g, ' ')} UTC`;
}

/** The seed's own "Sep 22, 2020 2:43:30 PM": no comma after the year and no zone (the log's zone is UTC). */
export function seedCreatedDate(ms: number): string {
  return createdDate(ms)
    .replace(/^(\w{3} \d{1,2}, \d{4}), /, '$1 ')
    .replace(/ UTC$/, '');
}

/** The style a node writes in: the config file's `log.style` pins it, else the runtime setting decides. */
export function effectiveLogStyle(pinned: LogStyle | null | undefined, settings: Settings): LogStyle {
  return pinned ?? settings['log.style'];
}

/**
 * The logger categories of the `seed` log style: the seed app's classes, so that `[%q{2}]` prints
 * `[d.r.a.platform.auth.ApiTokenAuthSharedBase]` as its lines do. Levels stay set by tokengate's names.
 */
export const SEED_LOGGER_CATEGORIES: Readonly<Record<string, string>> = {
  auth: 'de.resolution.apitokenauth.platform.auth.ApiTokenAuthSharedBase',
  'auth.filter': 'de.resolution.apitokenauth.platform.auth.ApiTokenAuthenticationFilter',
  ratelimit: 'de.resolution.apitokenauth.platform.auth.ApiTokenRateLimiter',
};

export function foundTokenMessage(
  o: Extract<GatewayOutcome, { kind: 'authenticated' }>,
  path: string,
  style: LogStyle = 'tokengate',
): string {
  const created = style === 'seed' ? seedCreatedDate(o.token.createdAt) : createdDate(o.token.createdAt);
  return `Found a matching token "${o.token.description}" with ${SCOPE_NAMES[o.token.scope]} scope and authenticated user ${o.user.username}. Token was created on ${created}. REST endpoint: ${path}`;
}

export const AUTHENTICATED_MESSAGE = 'User successfully authenticated';

export function deniedMessage(
  o: Extract<GatewayOutcome, { kind: 'denied' }>,
  method: string,
  path: string,
  clientIp: string,
  passwordsOn: boolean,
  style: LogStyle = 'tokengate',
): string {
  return `Token verification for user ${o.username === null ? 'anonymous' : shown(o.username)} failed: ${denialReason(o.reason, method, clientIp, passwordsOn, style)}. REST endpoint: ${path}`;
}

export function passedOnMessage(
  username: string | null,
  path: string,
  style: LogStyle = 'tokengate',
): string {
  if (style === 'seed')
    return `User ${username === null ? 'anonymous' : shown(username)} tried to authenticate with an invalid token or regular password. Passing the request further to the default authenticator. REST endpoint: ${path}`;
  return username === null
    ? `A credential that is not an API token (a foreign Bearer value or another scheme) was presented. Passing the request further to the default authenticator. REST endpoint: ${path}`
    : `User ${shown(username)} presented a regular password, not an API token. Passing the request further to the default authenticator. REST endpoint: ${path}`;
}

export function rateLimitedMessage(username: string, d: RateDecision): string {
  return `User ${username} has been rate limited. The API token allows executing ${d.limit} request${d.limit === 1 ? '' : 's'} within ${describeWindow(d.windowMs)}.`;
}

/** The management API is its own default authenticator: a wrong directory password ends there. */
export function passwordFailedMessage(username: string, path: string): string {
  return `Authentication for user ${shown(username)} failed: the user name or password is wrong. REST endpoint: ${path}`;
}

/** `client IP address 203.0.113.9` or `user alice`: what a block is on. */
function blockSubject(subject: 'ip' | 'user', value: string): string {
  return subject === 'ip' ? `Client IP address ${value}` : `User ${value}`;
}

/**
 * The line logged once when a block starts, in the rate limiter's words: what is blocked, after how
 * many failures within which window, for how long, and what it refuses.
 */
export function blockedMessage(n: BlockNotice): string {
  const refused =
    n.subject === 'ip'
      ? 'Requests with credentials from it are refused until then'
      : "Password authentication for the user from this client address is refused until then; other addresses and the user's API tokens keep working";
  return `${blockSubject(n.subject, n.value)} has been blocked for ${describeWindow(n.until - n.at)} after ${n.rule.maxFailures} failed authentication attempt${n.rule.maxFailures === 1 ? '' : 's'} within ${describeWindow(n.rule.windowMs)}. ${refused}.`;
}

export function blockRefusedMessage(username: string | null, b: Block, path: string): string {
  return `Token verification for user ${username ?? 'anonymous'} failed: ${blockReason(b)}. REST endpoint: ${path}`;
}

/** A browser's request authenticated by its gateway session (auth.browser). */
export function sessionMessage(username: string, endpoint: string): string {
  return `User ${username} authenticated with a gateway session (single sign-on). REST endpoint: ${endpoint}`;
}
