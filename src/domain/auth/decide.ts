import type { Credentials } from './credentials.js';
import type { IpMatcher } from './ip-rules.js';
import type { RateDecision, RateLimitPolicy } from './rate-limit.js';
import type { ReadRules } from './read-rules.js';
import type { Settings } from '../settings.js';
import { namedBasicUser, decideToken, type TokenDenial } from './token-decision.js';
import { claimedPrefix, tokenPrefix } from '../token/format.js';
import type { StoredToken } from '../token/token.js';
import type { User } from '../user.js';

/**
 * What the client presented, before any lookup. A secret that is a well-formed tokengate token is a
 * token, always; the checksum makes that exact, so a token is never mistaken for a password. A secret
 * that claims this installation's token prefix but is not a token (a typo) is malformed, never a password.
 */
export type Presented =
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'token'; secret: string; basicUser: string | null }
  | { kind: 'password'; username: string }
  /**
   * A credential for the upstream that is not ours and not a Basic password: a Bearer value that is
   * not our token (the upstream's own OAuth token), or another scheme (Digest, NTLM, Negotiate…).
   * Password-equivalent for an upstream that speaks it, so it is treated like a password.
   */
  | { kind: 'foreign-bearer' };

/** True when the secret is a well-formed token with one of this installation's prefixes. */
export function isOurToken(secret: string, prefixes: ReadonlySet<string>): boolean {
  const prefix = tokenPrefix(secret);
  return prefix !== null && prefixes.has(prefix);
}

/** A secret with one of our prefixes that is not a token: refused, so a typo never goes upstream. */
function nearToken(secret: string, prefixes: ReadonlySet<string>): Presented | null {
  const claimed = claimedPrefix(secret);
  if (claimed === null || !prefixes.has(claimed)) return null;
  return {
    kind: 'malformed',
    reason: `malformed token: the secret starts with the token prefix ${claimed}_ but is not a whole token (wrong length or checksum: a typo or a truncated copy?)`,
  };
}

/** Why Basic with an empty user name and a secret that is not a token is refused. */
export const EMPTY_BASIC_USER = 'Basic user name is empty, and the password is not a token';

/**
 * What the parsed credentials are to tokengate. Their kind is decided here once, for the gateway,
 * forward-auth, the middleware and the management API alike.
 */
export function classify(creds: Credentials, prefixes: ReadonlySet<string>): Presented {
  switch (creds.kind) {
    case 'none':
    case 'malformed':
      return creds;
    case 'other': {
      // A token pasted without "Bearer " reads as a scheme name: never pass it on, never echo it.
      const claimed = claimedPrefix(creds.scheme);
      if (claimed !== null && prefixes.has(claimed))
        return {
          kind: 'malformed',
          reason: 'the Authorization value is a token without its scheme: send "Bearer <token>"',
        };
      return { kind: 'foreign-bearer' };
    }
    case 'bearer':
      if (isOurToken(creds.secret, prefixes)) return { kind: 'token', secret: creds.secret, basicUser: null };
      return nearToken(creds.secret, prefixes) ?? { kind: 'foreign-bearer' };
    case 'basic':
      if (isOurToken(creds.secret, prefixes))
        return { kind: 'token', secret: creds.secret, basicUser: creds.username };
      return (
        nearToken(creds.secret, prefixes) ??
        // `:<token>` is the Git hosts' convention; `:<password>` names no user to check or pass on.
        (creds.username === ''
          ? { kind: 'malformed', reason: EMPTY_BASIC_USER }
          : { kind: 'password', username: creds.username })
      );
  }
}

export type GatewayDenial =
  | TokenDenial
  /** No credentials while auth.requireAuthentication is on. */
  | 'no-credentials'
  | 'malformed'
  /** A password or foreign Bearer while auth.basicPasswords is off: only tokens authenticate. */
  | 'not-a-token'
  /** A password passed on to the upstream would come from an IP outside auth.allowedIps. */
  | 'password-ip-denied'
  /** A tokengate token (or near-token) in an `access_token`/`private_token` query parameter. */
  | 'token-in-url'
  /** A browser's gateway session (auth.browser) from an IP outside auth.allowedIps. */
  | 'session-ip-denied';

export type GatewayOutcome =
  | { kind: 'anonymous' }
  /** A password (or foreign Bearer) goes to the upstream's own authenticator, unchanged. */
  | { kind: 'passed-on'; username: string | null }
  | { kind: 'authenticated'; token: StoredToken; user: User }
  /** A browser signed in through the gateway's SSO (auth.browser): its session cookie, no credentials. */
  | { kind: 'session'; user: User }
  | {
      kind: 'denied';
      status: 401 | 403;
      reason: GatewayDenial;
      /** The user the request claimed or the token belongs to; null when unknown. */
      username: string | null;
      token: StoredToken | null;
    };

/** Settings compiled for the request path (see SettingsSnapshot). */
export interface GatewayPolicy {
  settings: Settings;
  allowedIps: IpMatcher;
  readRules: ReadRules;
  /**
   * Browsers sign in through the gateway (auth.browser): a request with no credentials and no live
   * session is then never anonymous (401, which the edge turns into a sign-in redirect for a
   * browser's navigation). Absent: false.
   */
  browserSignIn?: boolean;
}

export interface GatewayInput {
  presented: Presented;
  /** For a presented token: what its hash found (null if nothing) and the owner as the directory has it now. */
  token: StoredToken | null;
  tokenIps: IpMatcher | null;
  owner: User | null;
  method: string;
  path: string;
  /** The query string without `?` (the read rules refuse Git's push discovery by it); absent: none. */
  query?: string | undefined;
  /** The Content-Type header as sent (the `git` read preset needs Git's own); absent: none. */
  contentType?: string | undefined;
  /**
   * The method an X-HTTP-Method-Override-style header or `_method` names, validated by
   * checkRequestTarget; absent or null: none. A read token needs both methods to be reads.
   */
  methodOverride?: string | null | undefined;
  /**
   * What an RFC 6750 query carrier (`access_token`, `private_token`) holds, classified as a Bearer
   * value; absent or null: none. A token there is refused (URLs get logged); a foreign value is
   * judged like a foreign Bearer, on top of whatever the Authorization header holds.
   */
  urlCredential?: Presented | null | undefined;
  clientIp: string;
  now: number;
  policy: GatewayPolicy;
  /**
   * The enabled user of the request's gateway session cookie (auth.browser), looked up by the edge;
   * absent or null: none, or not live. Counts only when the request has no Authorization header.
   */
  sessionUser?: User | null | undefined;
}

/**
 * The gateway's authentication decision, pure: every fact arrives as a plain value and the outcome
 * is data. The proxy, forward-auth and the middleware all call this one function; only how they
 * fetch the token and render the outcome differs. Rate limiting follows an `authenticated` outcome.
 */
export function decideRequest(i: GatewayInput): GatewayOutcome {
  const inUrl = i.urlCredential ?? null;
  if (inUrl !== null && (inUrl.kind === 'token' || inUrl.kind === 'malformed')) {
    // Never judged, never looked up: a token in a URL is in access logs and browser histories already.
    return { kind: 'denied', status: 401, reason: 'token-in-url', username: null, token: null };
  }
  const foreignInUrl = inUrl?.kind === 'foreign-bearer';
  // A foreign query credential alone is the request's credential; beside an Authorization header, both are judged.
  const presented = i.presented.kind === 'none' && foreignInUrl ? inUrl : i.presented;
  const outcome = decidePresented(i, presented);
  if (!foreignInUrl || presented === inUrl || outcome.kind === 'denied') return outcome;
  const url = decidePresented(i, { kind: 'foreign-bearer' });
  return url.kind === 'denied' ? url : outcome;
}

function decidePresented(i: GatewayInput, p: Presented): GatewayOutcome {
  const { settings, allowedIps } = i.policy;
  switch (p.kind) {
    case 'none': {
      const user = i.sessionUser ?? null;
      if (user !== null) {
        return allowedIps.matches(i.clientIp)
          ? { kind: 'session', user }
          : {
              kind: 'denied',
              status: 403,
              reason: 'session-ip-denied',
              username: user.username,
              token: null,
            };
      }
      return settings['auth.requireAuthentication'] || i.policy.browserSignIn === true
        ? { kind: 'denied', status: 401, reason: 'no-credentials', username: null, token: null }
        : { kind: 'anonymous' };
    }
    case 'malformed':
      return { kind: 'denied', status: 401, reason: 'malformed', username: null, token: null };
    case 'password':
    case 'foreign-bearer': {
      const username = p.kind === 'password' ? p.username : null;
      // With authentication required, only tokens count: the upstream may have no login to check a password.
      if (!settings['auth.basicPasswords'] || settings['auth.requireAuthentication']) {
        return { kind: 'denied', status: 401, reason: 'not-a-token', username, token: null };
      }
      if (!allowedIps.matches(i.clientIp)) {
        return { kind: 'denied', status: 403, reason: 'password-ip-denied', username, token: null };
      }
      return { kind: 'passed-on', username };
    }
    case 'token': {
      const d = decideToken({
        token: i.token,
        tokenIps: i.tokenIps ?? allowedIps,
        owner: i.owner,
        basicUser: p.basicUser,
        // Lazily: the rules run only for a live read token, never for a secret that matched nothing.
        readRequest: () => {
          const facts = { query: i.query, contentType: i.contentType };
          const rules = i.policy.readRules;
          const override = i.methodOverride ?? null;
          // The upstream may honour the override or not: the request is a read only if it is either way.
          return (
            rules.isRead(i.method, i.path, facts) &&
            (override === null || rules.isRead(override, i.path, facts))
          );
        },
        clientIp: i.clientIp,
        now: i.now,
        settings,
        globalIps: allowedIps,
      });
      if (d.ok) return { kind: 'authenticated', token: d.token, user: d.user };
      // A placeholder (x-token-auth, oauth2, '') names nobody: the denial names the owner, if any.
      return {
        kind: 'denied',
        status: d.status,
        reason: d.reason,
        username: namedBasicUser(p.basicUser, settings) ?? d.token?.user ?? null,
        token: d.token,
      };
    }
  }
}

/** A refusal of a client that failed too often (brute force): which block applies and how long it has left. */
export interface Block {
  subject: 'ip' | 'user';
  /** The blocked client IP (an IPv6 client's /64), or the user name. */
  value: string;
  retryAfterMs: number;
}

/** Every outcome of an authentication: the gateway's decision, the limits around it, and the management API's passwords. */
export type AuthOutcome =
  | GatewayOutcome
  | { kind: 'rate-limited'; token: StoredToken; user: User; decision: RateDecision }
  /** The client IP is blocked for failing too often (brute force): refused before any lookup. */
  | { kind: 'blocked'; block: Block }
  /** A directory password the management or compatibility API checked (never the gateway's: it passes them on). */
  | { kind: 'password'; user: User }
  | { kind: 'password-failed'; username: string };

/**
 * What an edge must do because of an outcome, besides reporting it: count a failed guess against
 * the client (brute force), or record the token's use (last-used time and address).
 */
export type AuthEffect = 'count-failure' | 'record-use';

/**
 * The facts around the credentials' decision, gathered by the edge before it calls {@link decide}:
 * either the client's brute-force block (then nothing else was looked up), or the decision on the
 * credentials (decideRequest) with the token's rate-limit take (null when no limit applies).
 */
export type AuthFacts =
  { block: Block } | { block: null; decision: GatewayOutcome; rate: RateDecision | null };

export interface Decided {
  outcome: AuthOutcome;
  effects: readonly AuthEffect[];
}

/** Failures that are guesses: a token-shaped secret that matches nothing, or another user's token. */
const GUESSES: ReadonlySet<GatewayDenial> = new Set<GatewayDenial>(['unknown-token', 'user-mismatch']);

/** True when a denial is a guess that counts against the client's brute-force limits. */
export function isGuess(reason: GatewayDenial): boolean {
  return GUESSES.has(reason);
}

const NO_EFFECTS: readonly AuthEffect[] = [];
const COUNT_FAILURE: readonly AuthEffect[] = ['count-failure'];
const RECORD_USE: readonly AuthEffect[] = ['record-use'];

/**
 * The authentication step's outcome, pure: a block refuses first, a spent rate limit refuses an
 * authenticated request, else the credentials' decision stands. The effects say what the edge does
 * next; a refused request (blocked, rate-limited) is never recorded as a use of its token.
 */
export function decide(f: AuthFacts): Decided {
  if (f.block !== null) return { outcome: { kind: 'blocked', block: f.block }, effects: NO_EFFECTS };
  const d = f.decision;
  switch (d.kind) {
    case 'anonymous':
    case 'passed-on':
    case 'session':
      return { outcome: d, effects: NO_EFFECTS };
    case 'denied':
      return { outcome: d, effects: isGuess(d.reason) ? COUNT_FAILURE : NO_EFFECTS };
    case 'authenticated':
      if (f.rate !== null && !f.rate.allowed) {
        const outcome = { kind: 'rate-limited', token: d.token, user: d.user, decision: f.rate } as const;
        return { outcome, effects: NO_EFFECTS };
      }
      return { outcome: d, effects: RECORD_USE };
  }
}

/** The rate limit a token's requests fall under: its own always, the global one only while rateLimit.enabled is on. */
export function ratePolicy(token: StoredToken, settings: Settings): RateLimitPolicy | null {
  if (token.rateLimit)
    return { requests: token.rateLimit.requests, windowMs: token.rateLimit.windowSeconds * 1000 };
  if (!settings['rateLimit.enabled']) return null;
  return { requests: settings['rateLimit.requests'], windowMs: settings['rateLimit.windowSeconds'] * 1000 };
}
