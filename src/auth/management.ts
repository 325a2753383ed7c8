import { createHmac, randomBytes } from 'node:crypto';
import { parseAuthorization } from '../domain/auth/credentials.js';
import { AppError, ERROR_CATALOGUE, type ErrorCode, type ErrorDetails } from '../domain/errors.js';
import type { Principal } from '../domain/auth/permissions.js';
import { namedBasicUser, DENIAL_MESSAGES, decideToken } from '../domain/auth/token-decision.js';
import { classify, type GatewayDenial } from '../domain/auth/decide.js';
import { hashToken } from '../domain/token/hash.js';
import { READ_METHODS, type StoredToken } from '../domain/token/token.js';
import { loginName, type StoredUser } from '../domain/user.js';
import type { AuthOutcome } from './gateway.js';
import { blockReason, PASSWORD_FAILED_MESSAGE } from '../domain/auth/render.js';
import type { AuthReporter } from './report.js';
import type { Block } from '../domain/auth/decide.js';
import type { BruteForceGuard, FailedAttempt } from './brute-force.js';
import type { ChangeFeed } from '../services/change-feed.js';
import type { CredentialCache } from './credential-cache.js';
import { LruCache } from '../domain/lru.js';
import type { SettingsService } from '../services/settings-service.js';
import type { UserService } from '../services/user-service.js';

/** Verified passwords are remembered this long, so a script's burst of calls costs one scrypt. */
const PASSWORD_CACHE_MS = 60_000;

/**
 * An authentication scheme's name as an error message may echo it: a short plain name (`Digest`,
 * `NTLM`). Anything else the client sent as a "scheme" may be a secret pasted without one.
 */
function schemeName(scheme: string): string {
  return /^[A-Za-z][A-Za-z0-9-]{0,19}$/.test(scheme) ? scheme : 'this';
}

/** Why a call is refused, as data: a catalogue code, the client's message and any details. */
export interface Refusal {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
}

/** What a call's credentials come to: the principal it acts as, or its refusal; an expected "no" is a value. */
export type ManagementAuth = { ok: true; principal: Principal } | { ok: false; refusal: Refusal };

function unauthorized(message: string): Refusal {
  return { code: 'unauthorized', message };
}

/** 429 for a blocked client or user name; `details.retryAfterSeconds` says when to try again. */
export function blockedRefusal(block: Block): Refusal {
  return {
    code: 'rate_limited',
    message: blockReason(block),
    details: { retryAfterSeconds: Math.max(1, Math.ceil(block.retryAfterMs / 1000)) },
  };
}

/** The error a refusal is answered with, for the callers that answer by throwing (the Fastify routes). */
export function refusalError(r: Refusal): AppError {
  return new AppError(r.code, r.message, r.details);
}

/** A blocked client or user name, as the error the web UI's sign-in answers with. */
export function blockedError(block: Block): AppError {
  return refusalError(blockedRefusal(block));
}

type Checked =
  | { outcome: AuthOutcome; error: Refusal; principal?: undefined }
  | { outcome: AuthOutcome; error: null; principal: Principal };

function refused(outcome: AuthOutcome, error: Refusal): Checked {
  return { outcome, error };
}

function denial(
  reason: GatewayDenial,
  status: 401 | 403,
  username: string | null,
  token: StoredToken | null = null,
): AuthOutcome {
  return { kind: 'denied', reason, status, username, token };
}

/** Where a management call came from: for its log lines and audit records, and those of a block it may start. */
export interface CallContext {
  proxyIp: string | null;
  requestId: string | null;
  endpoint: string | null;
}

/** What a serving node adds to password and token checks; one-shot CLI commands have neither. */
export interface ServingDeps {
  /** Counts failed token and password checks and refuses blocked clients and user names. */
  bruteForce?: BruteForceGuard | null;
  /**
   * Logs and audits every outcome as the gateway does: the seed's examples are calls to its own REST
   * API, and token guessing here must leave the same trace. The node's event handler also hears of
   * rotated secrets used after their grace period.
   */
  reporter?: AuthReporter | null;
}

/**
 * Authenticates calls to the management API with a token (Bearer, or Basic user:token) or with the
 * directory password (Basic). Token checks are the same pure decision the gateway uses.
 */
export class ManagementAuthenticator {
  private readonly passwordKey = randomBytes(32);
  private readonly passwords = new LruCache<string, string>(1_000, PASSWORD_CACHE_MS);
  private readonly bruteForce: BruteForceGuard | null;
  private readonly reporter: AuthReporter | null;

  constructor(
    private readonly cache: CredentialCache,
    private readonly settings: SettingsService,
    private readonly users: UserService,
    feed: ChangeFeed,
    private readonly now: () => number,
    serving: ServingDeps = {},
  ) {
    this.bruteForce = serving.bruteForce ?? null;
    this.reporter = serving.reporter ?? null;
    // Any change to a user (password, groups, disabled) forgets their remembered passwords.
    feed.subscribe((c) => {
      if (c.kind === 'user') this.passwords.clear();
    });
  }

  /** The principal a call acts as; a refusal is thrown as its catalogue error, for the Fastify routes. */
  async authenticate(
    authorization: string | undefined,
    method: string,
    clientIp: string,
    call: CallContext = { proxyIp: null, requestId: null, endpoint: null },
  ): Promise<Principal> {
    const r = await this.verify(authorization, method, clientIp, call);
    if (!r.ok) throw refusalError(r.refusal);
    return r.principal;
  }

  /** Checks a call's credentials, reports the outcome, and returns the principal or the refusal. */
  async verify(
    authorization: string | undefined,
    method: string,
    clientIp: string,
    call: CallContext = { proxyIp: null, requestId: null, endpoint: null },
  ): Promise<ManagementAuth> {
    const at = this.now();
    const checked = await this.check(authorization, method, clientIp, call);
    const { outcome, error } = checked;
    this.reporter?.report({
      at,
      request: {
        method,
        path: call.endpoint ?? '',
        requestId: call.requestId ?? '',
        authorization: undefined,
        peerIp: undefined,
        forwardedFor: undefined,
      },
      result: {
        outcome,
        client: { clientIp, proxyIp: call.proxyIp },
        allowed: error === null,
        identity:
          outcome.kind === 'authenticated'
            ? { user: outcome.user.username, tokenId: outcome.token.id, scope: outcome.token.scope }
            : null,
        status: error === null ? 0 : ERROR_CATALOGUE[error.code].status,
        message: error?.message ?? '',
        rate: null,
      },
    });
    return error === null ? { ok: true, principal: checked.principal } : { ok: false, refusal: error };
  }

  /** The outcome of a call's credentials, and the error it is refused with or the principal it acts as. */
  private async check(
    authorization: string | undefined,
    method: string,
    clientIp: string,
    call: CallContext,
  ): Promise<Checked> {
    const creds = parseAuthorization(authorization);
    if (creds.kind === 'none')
      return refused(
        denial('no-credentials', 401, null),
        unauthorized(
          'authentication required: use Basic with your password or a token, or Bearer with a token',
        ),
      );
    const { settings, allowedIps, tokenPrefixes } = this.settings.snapshot;
    // The gateway's classification, so that both read a request's credentials alike (issue 14).
    const presented = classify(creds, tokenPrefixes);
    if (presented.kind === 'malformed')
      return refused(
        denial('malformed', 401, null),
        unauthorized(`malformed Authorization header: ${presented.reason}`),
      );
    const bf = this.bruteForce;
    const ipBlock = bf?.checkIp(clientIp, this.now());
    if (ipBlock) return refused({ kind: 'blocked', block: ipBlock }, blockedRefusal(ipBlock));
    const attempt = (username: string | null): FailedAttempt => ({
      clientIp,
      username,
      method,
      ...call,
    });
    if (presented.kind === 'token') {
      const { basicUser } = presented;
      const claimed = namedBasicUser(basicUser, settings);
      return this.byToken(presented.secret, basicUser, claimed, method, clientIp, () => attempt(claimed));
    }
    if (creds.kind === 'other')
      return refused(
        denial('not-a-token', 401, null),
        unauthorized(
          `the ${schemeName(creds.scheme)} scheme is not accepted here: use Basic with your password or a token, or Bearer with a token`,
        ),
      );
    if (creds.kind !== 'basic')
      return refused(
        denial('not-a-token', 401, null),
        unauthorized('the Bearer value is not a tokengate token'),
      );
    if (!settings['auth.basicPasswords']) {
      return refused(
        denial('not-a-token', 401, creds.username),
        unauthorized('password authentication is disabled (auth.basicPasswords); use a token'),
      );
    }
    // Refused before the password is checked, so that a client outside the allow-list cannot tell a
    // right password (it would get 403) from a wrong one (401), and costs no scrypt.
    if (!allowedIps.matches(clientIp))
      return refused(denial('password-ip-denied', 403, creds.username), {
        code: 'forbidden',
        message: `the client IP ${clientIp} is not allowed (auth.allowedIps)`,
      });
    // Refused before the password is hashed: a blocked guesser costs no scrypt.
    const userBlock = bf?.checkPassword(clientIp, creds.username, this.now());
    if (userBlock) return refused({ kind: 'blocked', block: userBlock }, blockedRefusal(userBlock));
    const user = await this.byPassword(creds.username, creds.secret);
    if (!user) {
      bf?.failed(attempt(creds.username), this.now());
      return refused(
        { kind: 'password-failed', username: creds.username },
        unauthorized(PASSWORD_FAILED_MESSAGE),
      );
    }
    return {
      outcome: { kind: 'password', user },
      error: null,
      principal: { username: user.username, groups: user.groups, via: 'password' },
    };
  }

  private async byToken(
    secret: string,
    basicUser: string | null,
    claimed: string | null,
    method: string,
    clientIp: string,
    attempt: () => FailedAttempt,
  ): Promise<Checked> {
    const now = this.now();
    const entry = await this.cache.token(hashToken(secret), now);
    const owner = entry ? await this.cache.user(entry.token.user, now) : null;
    const snap = this.settings.snapshot;
    const d = decideToken({
      token: entry?.token ?? null,
      tokenIps: entry?.allowedIps ?? snap.allowedIps,
      owner,
      basicUser,
      readRequest: READ_METHODS.has(method),
      clientIp,
      now,
      settings: snap.settings,
      globalIps: snap.allowedIps,
    });
    if (!d.ok) {
      if (d.reason === 'unknown-token' || d.reason === 'user-mismatch')
        this.bruteForce?.failed(attempt(), now);
      const message = `token authentication failed: ${DENIAL_MESSAGES[d.reason]}`;
      const outcome = denial(d.reason, d.status, claimed ?? d.token?.user ?? null, d.token);
      if (d.status === 401) return refused(outcome, unauthorized(message));
      return refused(outcome, {
        code: 'forbidden',
        message: d.reason === 'read-only' ? `${message}; the method was ${method}` : message,
      });
    }
    return {
      outcome: { kind: 'authenticated', token: d.token, user: d.user },
      error: null,
      principal: {
        username: d.user.username,
        groups: d.user.groups,
        via: 'token',
        tokenId: d.token.id,
        tokenScope: d.token.scope,
      },
    };
  }

  private async byPassword(username: string, password: string): Promise<StoredUser | null> {
    // Keyed by the name as it is compared: ADMIN and admin are one entry, and turning on
    // auth.caseSensitiveUsernames forgets what was remembered for other spellings.
    const name = loginName(username, this.settings.snapshot.settings['auth.caseSensitiveUsernames']);
    const key = createHmac('sha256', this.passwordKey)
      .update(name)
      .update('\0')
      .update(password)
      .digest('base64');
    const now = this.now();
    const remembered = this.passwords.get(key, now);
    if (remembered !== undefined) {
      const u = await this.cache.user(remembered, now);
      if (u && !u.disabled) return u;
    }
    const user = await this.users.verifyPassword(username, password);
    if (user) this.passwords.set(key, user.username, now);
    return user;
  }
}
