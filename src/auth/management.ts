import { createHmac, randomBytes } from 'node:crypto';
import { parseAuthorization } from '../domain/auth/credentials.js';
import { AppError } from '../domain/errors.js';
import type { Principal } from '../domain/auth/permissions.js';
import { namedBasicUser, DENIAL_MESSAGES, decideToken } from '../domain/auth/token-decision.js';
import { classify, type GatewayDenial } from '../domain/auth/decide.js';
import { hashToken } from '../domain/token/hash.js';
import { READ_METHODS, type StoredToken } from '../domain/token/token.js';
import { loginName, type StoredUser } from '../domain/user.js';
import type { AuthOutcome } from './gateway.js';
import { blockReason } from './messages.js';
import type { AuthReporter } from './report.js';
import type { Block, BruteForceGuard, FailedAttempt } from './brute-force.js';
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

function unauthorized(message: string): AppError {
  return new AppError('unauthorized', message);
}

/** 429 for a blocked client or user name; `details.retryAfterSeconds` says when to try again. */
export function blockedError(block: Block): AppError {
  return new AppError('rate_limited', blockReason(block), {
    retryAfterSeconds: Math.max(1, Math.ceil(block.retryAfterMs / 1000)),
  });
}

type Checked =
  | { outcome: AuthOutcome; error: AppError; principal?: undefined }
  | { outcome: AuthOutcome; error: null; principal: Principal };

function refused(outcome: AuthOutcome, error: AppError): Checked {
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

/**
 * Authenticates calls to the management API with a token (Bearer, or Basic user:token) or with the
 * directory password (Basic). Token checks are the same pure decision the gateway uses.
 */
export class ManagementAuthenticator {
  private readonly passwordKey = randomBytes(32);
  private readonly passwords = new LruCache<string, string>(1_000, PASSWORD_CACHE_MS);
  private bruteForce: BruteForceGuard | null = null;
  private reporter: AuthReporter | null = null;

  constructor(
    private readonly cache: CredentialCache,
    private readonly settings: SettingsService,
    private readonly users: UserService,
    feed: ChangeFeed,
    private readonly now: () => number,
  ) {
    // Any change to a user (password, groups, disabled) forgets their remembered passwords.
    feed.subscribe((c) => {
      if (c.kind === 'user') this.passwords.clear();
    });
  }

  /**
   * Counts failed token and password checks and refuses blocked clients and user names (a serving
   * node turns this on; one-shot CLI commands have no clients to block).
   */
  useBruteForce(guard: BruteForceGuard): void {
    this.bruteForce = guard;
  }

  /**
   * Logs and audits every outcome as the gateway does (a serving node turns this on): the seed's
   * examples are calls to its own REST API, and token guessing here must leave the same trace.
   * The node's event handler also hears of rotated secrets used after their grace period.
   */
  useReporter(reporter: AuthReporter): void {
    this.reporter = reporter;
  }

  async authenticate(
    authorization: string | undefined,
    method: string,
    clientIp: string,
    call: CallContext = { proxyIp: null, requestId: null, endpoint: null },
  ): Promise<Principal> {
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
        status: error?.status ?? 0,
        message: error?.message ?? '',
        rate: null,
      },
    });
    if (error !== null) throw error;
    return checked.principal;
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
    if (ipBlock) return refused({ kind: 'blocked', block: ipBlock }, blockedError(ipBlock));
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
      return refused(
        denial('password-ip-denied', 403, creds.username),
        new AppError('forbidden', `the client IP ${clientIp} is not allowed (auth.allowedIps)`),
      );
    // Refused before the password is hashed: a blocked guesser costs no scrypt.
    const userBlock = bf?.checkPassword(clientIp, creds.username, this.now());
    if (userBlock) return refused({ kind: 'blocked', block: userBlock }, blockedError(userBlock));
    const user = await this.byPassword(creds.username, creds.secret);
    if (!user) {
      bf?.failed(attempt(creds.username), this.now());
      return refused(
        { kind: 'password-failed', username: creds.username },
        unauthorized('invalid user name or password'),
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
      return refused(
        outcome,
        new AppError(
          'forbidden',
          d.reason === 'read-only' ? `${message}; the method was ${method}` : message,
        ),
      );
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
