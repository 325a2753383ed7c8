import { parseAuthorization } from '../domain/auth/credentials.js';
import { classify, decideRequest, type GatewayOutcome, type Presented } from '../domain/auth/decide.js';
import type { IpMatcher } from '../domain/auth/ip-rules.js';
import { urlCredential } from '../domain/auth/request-target.js';
import { BODY_LENGTH } from '../domain/token/format.js';
import type { RateDecision, RateLimitPolicy, RateLimitStore } from '../domain/auth/rate-limit.js';
import { hashToken } from '../domain/token/hash.js';
import type { StoredToken } from '../domain/token/token.js';
import type { User } from '../domain/user.js';
import { normalizeSocketIp, resolveClientAddress, type ClientAddress } from '../domain/auth/client-ip.js';
import type { Block, BruteForceGuard } from './brute-force.js';
import type { CredentialCache } from './credential-cache.js';
import type { LastUsedRecorder } from './last-used.js';
import type { SettingsService } from '../services/settings-service.js';
import { blockReason, denialForClient } from './messages.js';

/** What the edges know about a request; nothing else reaches the decision. */
export interface AuthRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The query string without `?`, for the read rules only: never logged (it can carry secrets). */
  query?: string | undefined;
  /** The Content-Type header as sent, for the read rules (the `git` preset). */
  contentType?: string | undefined;
  /** The method an override header or `_method` names (see checkRequestTarget); null or absent: none. */
  methodOverride?: string | null | undefined;
  authorization: string | undefined;
  peerIp: string | undefined;
  forwardedFor: string | string[] | undefined;
  requestId: string;
}

export type AuthOutcome =
  | GatewayOutcome
  | { kind: 'rate-limited'; token: StoredToken; user: User; decision: RateDecision }
  /** The client IP is blocked for failing too often (brute force): refused before any lookup. */
  | { kind: 'blocked'; block: Block }
  /** A directory password the management or compatibility API checked (never the gateway's: it passes them on). */
  | { kind: 'password'; user: User }
  | { kind: 'password-failed'; username: string };

/** Who the upstream is told about, on success. */
export interface Identity {
  user: string;
  tokenId: string;
  scope: string;
}

export interface AuthResult {
  outcome: AuthOutcome;
  client: ClientAddress;
  /** True when the request may go on (authenticated, anonymous or passed on). */
  allowed: boolean;
  identity: Identity | null;
  /** For denials: the status and a message for the client. */
  status: number;
  message: string;
  /** The rate-limit state, for the RateLimit headers; null when no limit applies. */
  rate: RateDecision | null;
}

/** An authentication event, for the audit log (see the audit issue). Never carries a secret. */
export interface AuthEvent {
  at: number;
  request: AuthRequest;
  result: AuthResult;
}

export interface GatewayDeps {
  cache: CredentialCache;
  settings: SettingsService;
  rateLimits: RateLimitStore;
  lastUsed: LastUsedRecorder;
  /**
   * Writes each outcome's log lines and hands the event to the audit log and metrics: an AuthReporter
   * (report.ts), named by shape here because report.ts imports AuthEvent from this file (no cycle).
   */
  reporter: { report(event: AuthEvent): void };
  now: () => number;
  /** Counts failed token checks per client IP and user name, and refuses blocked clients. */
  bruteForce?: BruteForceGuard;
}

/** Failures that are guesses: a token-shaped secret that matches nothing, or another user's token. */
const GUESSES: ReadonlySet<string> = new Set(['unknown-token', 'user-mismatch']);

/** What the credentials of a request found: the presented kind, and for a token its record and owner. */
export interface Lookup {
  presented: Presented;
  token: StoredToken | null;
  tokenIps: IpMatcher | null;
  owner: User | null;
}

const NOTHING_FOUND = { token: null, tokenIps: null, owner: null } as const;

async function loadCredentials(cache: CredentialCache, presented: Presented, now: number): Promise<Lookup> {
  if (presented.kind !== 'token') return { presented, ...NOTHING_FOUND };
  const entry = await cache.token(hashToken(presented.secret), now);
  if (!entry) return { presented, ...NOTHING_FOUND };
  const owner = await cache.user(entry.token.user, now);
  return { presented, token: entry.token, tokenIps: entry.allowedIps, owner };
}

/**
 * Finds what an Authorization header stands for. A warm token costs one SHA-256 and two map
 * lookups, synchronously: its hash is looked up first, and a hit is a stored token (its format and
 * checksum were checked when it was issued), so only its prefix is checked against the accepted ones.
 * Anything else is classified in full (format, checksum) and, for a well-formed token, read from the
 * database once.
 */
export function lookupCredentials(
  cache: CredentialCache,
  authorization: string | undefined,
  prefixes: ReadonlySet<string>,
  now: number,
): Lookup | Promise<Lookup> {
  const creds = parseAuthorization(authorization);
  if (creds.kind === 'bearer' || creds.kind === 'basic') {
    const { secret } = creds;
    const entry = cache.warmToken(hashToken(secret), now);
    if (entry && prefixes.has(secret.slice(0, secret.length - BODY_LENGTH - 1))) {
      const owner = cache.warmUser(entry.token.user, now);
      if (owner !== undefined) {
        const basicUser = creds.kind === 'basic' ? creds.username : null;
        return {
          presented: { kind: 'token', secret, basicUser },
          token: entry.token,
          tokenIps: entry.allowedIps,
          owner,
        };
      }
    }
  }
  return loadCredentials(cache, classify(creds, prefixes), now);
}

/**
 * The authentication step shared by the reverse proxy, forward-auth and the middleware: gather the
 * facts (client address, credentials, the cached token and owner), call the pure decision, apply
 * the rate limit, record last use, report (log lines, audit). A warm token costs no database access.
 */
export class Gateway {
  constructor(private readonly deps: GatewayDeps) {}

  /** True when the connection comes from a proxy listed in auth.trustedProxies (an empty list trusts none). */
  trustsPeer(peerIp: string | undefined): boolean {
    const trusted = this.deps.settings.snapshot.trustedProxies;
    return !trusted.allowsAll && trusted.matches(normalizeSocketIp(peerIp));
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const d = this.deps;
    const now = d.now();
    const snap = d.settings.snapshot;
    const client = resolveClientAddress(req.peerIp, req.forwardedFor, snap.trustedProxies);
    // A blocked client is refused before its credentials are even parsed, let alone looked up.
    const block = req.authorization ? d.bruteForce?.checkIp(client.clientIp, now) : null;
    if (block) {
      const result = this.blocked(client, block);
      d.reporter.report({ at: now, request: req, result });
      return result;
    }
    const pending = lookupCredentials(d.cache, req.authorization, snap.tokenPrefixes, now);
    const found = pending instanceof Promise ? await pending : pending;
    const inUrl = urlCredential(req.query, snap.tokenPrefixes);
    const outcome = decideRequest({
      presented: found.presented,
      token: found.token,
      tokenIps: found.tokenIps,
      owner: found.owner,
      method: req.method,
      path: req.path,
      query: req.query,
      contentType: req.contentType,
      methodOverride: req.methodOverride,
      urlCredential: inUrl,
      clientIp: client.clientIp,
      now,
      policy: { settings: snap.settings, allowedIps: snap.allowedIps, readRules: snap.readRules },
    });
    const result = await this.finish(req, client, outcome, now);
    d.reporter.report({ at: now, request: req, result });
    return result;
  }

  private blocked(client: ClientAddress, block: Block): AuthResult {
    const s = this.deps.settings.current;
    return {
      outcome: { kind: 'blocked', block },
      client,
      allowed: false,
      identity: null,
      status: 429,
      message: `authentication failed: ${blockReason(block)}`,
      // Rendered as Retry-After (and the RateLimit headers: the failures allowed per window).
      rate: {
        allowed: false,
        limit: s['bruteForce.ipMaxFailures'],
        windowMs: s['bruteForce.windowSeconds'] * 1000,
        remaining: 0,
        resetMs: block.retryAfterMs,
        retryAfterMs: block.retryAfterMs,
      },
    };
  }

  private async finish(
    req: AuthRequest,
    client: ClientAddress,
    outcome: GatewayOutcome,
    now: number,
  ): Promise<AuthResult> {
    const passwordsOn = this.deps.settings.current['auth.basicPasswords'];
    switch (outcome.kind) {
      case 'anonymous':
      case 'passed-on':
        return { outcome, client, allowed: true, identity: null, status: 0, message: '', rate: null };
      case 'denied':
        if (GUESSES.has(outcome.reason)) {
          this.deps.bruteForce?.failed(
            {
              clientIp: client.clientIp,
              proxyIp: client.proxyIp,
              username: outcome.username,
              requestId: req.requestId,
              method: req.method,
              endpoint: req.path,
            },
            now,
          );
        }
        return {
          outcome,
          client,
          allowed: false,
          identity: null,
          status: outcome.status,
          message: denialForClient(outcome, req.method, client.clientIp, passwordsOn),
          rate: null,
        };
      case 'authenticated': {
        const { token, user } = outcome;
        const policy = this.ratePolicy(token);
        const rate = policy ? await this.deps.rateLimits.consume(token.id, policy, now) : null;
        if (rate && !rate.allowed) {
          return {
            outcome: { kind: 'rate-limited', token, user, decision: rate },
            client,
            allowed: false,
            identity: null,
            status: 429,
            message: `rate limit exceeded: ${rate.limit} requests per ${rate.windowMs / 1000} seconds for this token`,
            rate,
          };
        }
        this.deps.lastUsed.record(token.id, now, client.clientIp);
        return {
          outcome,
          client,
          allowed: true,
          identity: { user: user.username, tokenId: token.id, scope: token.scope },
          status: 0,
          message: '',
          rate,
        };
      }
    }
  }

  /** A token's own limit always applies; the global one only while rateLimit.enabled is on. */
  private ratePolicy(token: StoredToken): RateLimitPolicy | null {
    if (token.rateLimit)
      return { requests: token.rateLimit.requests, windowMs: token.rateLimit.windowSeconds * 1000 };
    const s = this.deps.settings.current;
    if (!s['rateLimit.enabled']) return null;
    return { requests: s['rateLimit.requests'], windowMs: s['rateLimit.windowSeconds'] * 1000 };
  }
}
