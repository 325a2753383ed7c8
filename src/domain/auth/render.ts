import type { AuthOutcome, Block, GatewayDenial, GatewayOutcome } from './decide.js';
import type { RateDecision } from './rate-limit.js';
import type { LogStyle, Settings } from '../settings.js';

/**
 * How an authentication outcome is answered, pure: whether the request goes on, who the upstream is
 * told about, and for a refusal its status and the client's message. The edges (proxy, forward-auth,
 * the middleware) write it out; the log lines are the reporter's (src/auth/report.ts).
 */

/** Who the upstream is told about, on success. */
export interface Identity {
  user: string;
  tokenId: string;
  scope: string;
}

export interface Rendered {
  /** True when the request may go on (authenticated, anonymous, passed on, or a checked password). */
  allowed: boolean;
  identity: Identity | null;
  /** For refusals: the status (401, 403, 429) and a message for the client; 0 and '' otherwise. */
  status: number;
  message: string;
  /** The rate-limit state, for the RateLimit headers and Retry-After; null when no limit applies. */
  rate: RateDecision | null;
}

export interface RenderContext {
  method: string;
  clientIp: string;
  settings: Settings;
  /** The token's rate-limit take on an authenticated request (its RateLimit headers); null: none. */
  rate: RateDecision | null;
}

/** The scope header's value for a browser signed in through the gateway (not limited like a read token). */
export const SESSION_SCOPE = 'session';

const GOES_ON: Rendered = { allowed: true, identity: null, status: 0, message: '', rate: null };

function refusal(status: number, message: string, rate: RateDecision | null = null): Rendered {
  return { allowed: false, identity: null, status, message, rate };
}

/** The answer to an outcome: 401/403 for a denial, 429 for a block or a spent rate limit. */
export function render(o: AuthOutcome, c: RenderContext): Rendered {
  switch (o.kind) {
    case 'anonymous':
    case 'passed-on':
    case 'password':
      return GOES_ON;
    case 'authenticated':
      return {
        ...GOES_ON,
        identity: { user: o.user.username, tokenId: o.token.id, scope: o.token.scope },
        rate: c.rate,
      };
    case 'session':
      // The same user header as a token's; no token id, and the scope says it is a browser session.
      return { ...GOES_ON, identity: { user: o.user.username, tokenId: '', scope: SESSION_SCOPE } };
    case 'denied':
      return refusal(o.status, denialForClient(o, c.method, c.clientIp, c.settings['auth.basicPasswords']));
    case 'password-failed':
      return refusal(401, PASSWORD_FAILED_MESSAGE);
    case 'rate-limited': {
      const d = o.decision;
      return refusal(
        429,
        `rate limit exceeded: ${d.limit} requests per ${d.windowMs / 1000} seconds for this token`,
        d,
      );
    }
    case 'blocked':
      // Rendered as Retry-After, and as RateLimit headers: the failures allowed per window.
      return refusal(429, `authentication failed: ${blockReason(o.block)}`, blockedRate(o.block, c.settings));
  }
}

/** A block as a spent rate limit: the failures allowed per window, none left until the block ends. */
function blockedRate(block: Block, s: Settings): RateDecision {
  return {
    allowed: false,
    limit: s['bruteForce.ipMaxFailures'],
    windowMs: s['bruteForce.windowSeconds'] * 1000,
    remaining: 0,
    resetMs: block.retryAfterMs,
    retryAfterMs: block.retryAfterMs,
  };
}

/** A wrong directory password: the same words for a wrong name, so that names cannot be probed. */
export const PASSWORD_FAILED_MESSAGE = 'invalid user name or password';

/**
 * The denial text for a malformed Authorization header: a misspelt scheme (`Basic<TAB>…`, `BasicX…`)
 * or a near-token (a token with a typo). Both are refused so that they never reach the upstream as
 * something tokengate did not check; the text says how to send credentials that are read.
 */
export const MALFORMED_MESSAGE =
  'The Authorization header is malformed or holds a malformed token: send "Basic base64(user:password)" or "Bearer <token>" with one space after the scheme, and a whole token (check for a typo or a truncated copy)';

/**
 * Why a request was denied, in the words of the log lines (`style`) and of the client's message
 * (always `tokengate`).
 */
export function denialReason(
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
    case 'session-ip-denied':
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

/** The message the client gets with a denial: the reason, without the endpoint or internal detail. */
export function denialForClient(
  o: Extract<GatewayOutcome, { kind: 'denied' }>,
  method: string,
  clientIp: string,
  passwordsOn: boolean,
): string {
  return `authentication failed: ${denialReason(o.reason, method, clientIp, passwordsOn, 'tokengate')}`;
}

/** The reason a blocked request is refused, for the client and (with the endpoint) for the log. */
export function blockReason(b: Block): string {
  const seconds = Math.max(1, Math.ceil(b.retryAfterMs / 1000));
  const who = b.subject === 'ip' ? `from IP address ${b.value}` : `for user ${b.value} from this address`;
  return `Too many failed authentication attempts ${who}; try again in ${seconds} second${seconds === 1 ? '' : 's'}`;
}
