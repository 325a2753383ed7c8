import type { GatewayDenial, GatewayOutcome } from '../domain/auth/decide.js';
import { describeWindow, type RateDecision } from '../domain/auth/rate-limit.js';
import type { LogStyle, Settings } from '../domain/settings.js';
import type { Scope } from '../domain/token/token.js';
import type { Block, BlockNotice } from './brute-force.js';
import { DENIAL_MESSAGES } from '../domain/auth/token-decision.js';

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
  'token-in-url': 'a tokengate token was sent in the URL (access_token or private_token)',
};

/**
 * The denial text for a malformed Authorization header: a misspelt scheme (`Basic<TAB>…`, `BasicX…`)
 * or a near-token (a token with a typo). Both are refused so that they never reach the upstream as
 * something tokengate did not check; the text says how to send credentials that are read.
 */
export const MALFORMED_MESSAGE =
  'The Authorization header is malformed or holds a malformed token: send "Basic base64(user:password)" or "Bearer <token>" with one space after the scheme, and a whole token (check for a typo or a truncated copy)';

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

function denialReason(
  reason: GatewayDenial,
  method: string,
  clientIp: string,
  passwordsOn: boolean,
  style: LogStyle,
): string {
  const suffix = passwordsOn ? '' : ' and basic auth with password is disabled';
  switch (reason) {
    case 'not-a-token':
      // With passwords on, only the management API refuses a credential that is not a token (the
      // gateway passes it on): a foreign Bearer value or another scheme, which it cannot check.
      return passwordsOn
        ? 'No valid API token or password was provided (only Basic and Bearer credentials are checked here)'
        : 'No valid API token was provided and basic auth with password is disabled';
    case 'unknown-token':
      return `No matching API token was found${suffix}`;
    case 'ip-denied':
    case 'password-ip-denied':
      // The seed's sentence has no address in it; its rules match the sentence exactly.
      return style === 'seed'
        ? `IP address of request is not allowed to access the REST API${suffix}`
        : `IP address ${clientIp} of request is not allowed to access the REST API${suffix}`;
    case 'read-only':
      return `The token scope is read-only and only covers GET, HEAD and OPTIONS requests. Request method type was ${method}`;
    case 'user-mismatch':
      return 'The API token belongs to another user';
    case 'revoked':
      return 'The API token has been revoked';
    case 'rotated':
      return 'The API token was rotated: this is its old secret, and its grace period is over';
    case 'expired':
      return 'The API token has expired';
    case 'user-disabled':
      return 'The user is disabled or deleted';
    case 'no-permission':
      return 'The user lacks the permission to use API tokens';
    case 'no-credentials':
      return 'No credentials were provided and authentication is required';
    case 'malformed':
      return MALFORMED_MESSAGE;
    case 'token-in-url':
      return 'A tokengate token was sent in the URL (access_token or private_token); URLs end up in logs and histories, so rotate it and send it in the Authorization header ("Bearer <token>")';
  }
}

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

/** The message the client gets with a denial: the reason, without the endpoint or internal detail. */
export function denialForClient(
  o: Extract<GatewayOutcome, { kind: 'denied' }>,
  method: string,
  clientIp: string,
  passwordsOn: boolean,
): string {
  return `authentication failed: ${denialReason(o.reason, method, clientIp, passwordsOn, 'tokengate')}`;
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

/** The reason a blocked request is refused, for the client and (with the endpoint) for the log. */
export function blockReason(b: Block): string {
  const seconds = Math.max(1, Math.ceil(b.retryAfterMs / 1000));
  const who = b.subject === 'ip' ? `from IP address ${b.value}` : `for user ${b.value} from this address`;
  return `Too many failed authentication attempts ${who}; try again in ${seconds} second${seconds === 1 ? '' : 's'}`;
}

export function blockRefusedMessage(username: string | null, b: Block, path: string): string {
  return `Token verification for user ${username ?? 'anonymous'} failed: ${blockReason(b)}. REST endpoint: ${path}`;
}
