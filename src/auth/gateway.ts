import { parseAuthorization } from '../domain/auth/credentials.js';
import {
  classify,
  decide,
  decideRequest,
  ratePolicy,
  type AuthFacts,
  type AuthOutcome,
  type GatewayOutcome,
  type Presented,
} from '../domain/auth/decide.js';
import { render, type Identity, type Rendered } from '../domain/auth/render.js';
import type { IpMatcher } from '../domain/auth/ip-rules.js';
import { urlCredential } from '../domain/auth/request-target.js';
import { BODY_LENGTH } from '../domain/token/format.js';
import type { RateDecision, RateLimitStore } from '../domain/auth/rate-limit.js';
import { hashToken } from '../domain/token/hash.js';
import type { StoredToken } from '../domain/token/token.js';
import type { User } from '../domain/user.js';
import { normalizeSocketIp, resolveClientAddress, type ClientAddress } from '../domain/auth/client-ip.js';
import type { BruteForceGuard } from './brute-force.js';
import type { CredentialCache } from './credential-cache.js';
import type { LastUsedRecorder } from './last-used.js';
import type { SettingsService } from '../services/settings-service.js';

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
  /**
   * The value of the gateway's browser-session cookie (auth.browser), read by the edge; absent or
   * null: none. Looked at only when there is no Authorization header: explicit credentials decide.
   */
  sessionCookie?: string | null | undefined;
  peerIp: string | undefined;
  forwardedFor: string | string[] | undefined;
  requestId: string;
}

// The outcome and the identity are the pure decision's and renderer's; named here for the edges.
export type { AuthOutcome, Identity };

/** An outcome as the edges answer it: the renderer's view, with the outcome and the client address. */
export interface AuthResult extends Rendered {
  outcome: AuthOutcome;
  client: ClientAddress;
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
  /**
   * Browsers signed in through the gateway (auth.browser): their sessions. When set, a request with
   * neither credentials nor a live session is refused (401; a browser's navigation is sent to sign in).
   */
  browserSessions?: BrowserSessions | null;
  /**
   * Told of each authentication's outcome and duration in seconds (src/metrics/auth-metrics.ts);
   * absent: not measured.
   */
  observer?: AuthObserver;
}

/** What hears each authentication's outcome and how long it took; see GatewayDeps.observer. */
export interface AuthObserver {
  observe(outcome: AuthOutcome, seconds: number): void;
}

/** The gateway sessions as the authentication step sees them (GatewaySessions, gateway-sessions.ts). */
export interface BrowserSessions {
  /** The enabled user of a live session; synchronous when warm. */
  user(cookie: string, now: number): User | null | Promise<User | null>;
}

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
  cache.lookups.misses++;
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
        cache.lookups.hits++;
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
 * facts (client address, block, credentials, the cached token and owner, the rate-limit take), let
 * the pure `decide` choose the outcome, perform its effects (failure counting, last use), report it
 * (log lines, audit) and answer with `render`'s view of it. A warm token costs no database access.
 */
export class Gateway {
  constructor(private readonly deps: GatewayDeps) {}

  /** True when the connection comes from a proxy listed in auth.trustedProxies (an empty list trusts none). */
  trustsPeer(peerIp: string | undefined): boolean {
    const trusted = this.deps.settings.snapshot.trustedProxies;
    return !trusted.allowsAll && trusted.matches(normalizeSocketIp(peerIp));
  }

  /**
   * Gathers the facts (block, credentials, rate-limit take), lets the pure `decide` choose the
   * outcome, performs the effects it lists, reports it, and answers with what `render` makes of it.
   */
  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const d = this.deps;
    const started = d.observer ? performance.now() : 0;
    const now = d.now();
    const client = resolveClientAddress(req.peerIp, req.forwardedFor, d.settings.snapshot.trustedProxies);
    const facts = await this.facts(req, client, now);
    const { outcome, effects } = decide(facts);
    for (const effect of effects) {
      if (effect === 'record-use' && outcome.kind === 'authenticated')
        d.lastUsed.record(outcome.token.id, now, client.clientIp);
      else if (effect === 'count-failure' && outcome.kind === 'denied')
        d.bruteForce?.failed(
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
    const view = render(outcome, {
      method: req.method,
      clientIp: client.clientIp,
      settings: d.settings.current,
      rate: facts.block === null ? facts.rate : null,
    });
    const result: AuthResult = { outcome, client, ...view };
    // Before the report: its log lines and audit record are not part of the step's decision.
    d.observer?.observe(outcome, (performance.now() - started) / 1000);
    d.reporter.report({ at: now, request: req, result });
    return result;
  }

  /**
   * What the decision needs to know: a blocked client is refused before its credentials are even
   * parsed, let alone looked up; an authenticated request takes from its token's rate limit.
   */
  private async facts(req: AuthRequest, client: ClientAddress, now: number): Promise<AuthFacts> {
    const d = this.deps;
    const snap = d.settings.snapshot;
    const block = req.authorization ? d.bruteForce?.checkIp(client.clientIp, now) : null;
    if (block) return { block };
    const pending = lookupCredentials(d.cache, req.authorization, snap.tokenPrefixes, now);
    const found = pending instanceof Promise ? await pending : pending;
    const sessions = d.browserSessions ?? null;
    let sessionUser: User | null = null;
    if (sessions !== null && req.authorization === undefined && req.sessionCookie) {
      const user = sessions.user(req.sessionCookie, now);
      sessionUser = user instanceof Promise ? await user : user;
    }
    const decision = decideRequest({
      presented: found.presented,
      token: found.token,
      tokenIps: found.tokenIps,
      owner: found.owner,
      method: req.method,
      path: req.path,
      query: req.query,
      contentType: req.contentType,
      methodOverride: req.methodOverride,
      urlCredential: urlCredential(req.query, snap.tokenPrefixes),
      clientIp: client.clientIp,
      now,
      policy: {
        settings: snap.settings,
        allowedIps: snap.allowedIps,
        readRules: snap.readRules,
        browserSignIn: sessions !== null,
      },
      sessionUser,
    });
    return { block: null, decision, rate: await this.take(decision, now) };
  }

  /** The rate-limit take of an authenticated request; null when no limit applies (or not authenticated). */
  private async take(decision: GatewayOutcome, now: number): Promise<RateDecision | null> {
    if (decision.kind !== 'authenticated') return null;
    const policy = ratePolicy(decision.token, this.deps.settings.current);
    return policy ? await this.deps.rateLimits.consume(decision.token.id, policy, now) : null;
  }
}
