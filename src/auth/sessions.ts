import { randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { constantTimeEqual, hashToken } from '../domain/token/hash.js';
import type { StoredUser } from '../domain/user.js';
import type { SignInMethod, StoredSession } from '../store/session-repo.js';
import { blockedError, type CallContext } from './management.js';
import type { BruteForceGuard } from './brute-force.js';
import type { ChangeFeed } from '../services/change-feed.js';
import type { CredentialCache } from './credential-cache.js';
import { LruCache } from '../domain/lru.js';
import type { ServiceDeps } from '../services/context.js';
import type { UserService } from '../services/user-service.js';

/** A web UI session lasts this long from sign-in. */
export const SESSION_TTL_MS = 8 * 3_600_000;
/** Sessions are remembered in memory this long before being re-read (sign-out elsewhere reaches us via the feed). */
const CACHE_MS = 60_000;

export interface SessionInfo {
  user: StoredUser;
  csrfToken: string;
  expiresAt: number;
}

/** What a session opened without a password remembers for its sign-out. */
export interface SessionOrigin {
  method: SignInMethod;
  /** The OpenID provider's ID token, the `id_token_hint` of RP-initiated logout. Never sent to the browser. */
  idToken?: string;
}

/**
 * Sign-in for the web UI. The cookie value is 32 random bytes; only its SHA-256 is stored. Each
 * session has its own CSRF token, which the UI must echo in X-CSRF-Token on every state change.
 */
export class SessionService {
  private readonly cache = new LruCache<string, StoredSession | null>(10_000, CACHE_MS);
  /** Counts failed sign-ins and refuses blocked clients and user names (a serving node's; null: none). */
  private readonly bruteForce: BruteForceGuard | null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly users: UserService,
    private readonly credentials: CredentialCache,
    feed: ChangeFeed,
    bruteForce: BruteForceGuard | null = null,
  ) {
    this.bruteForce = bruteForce;
    feed.subscribe((c) => {
      if (c.kind === 'session') this.cache.delete(c.ref);
      // A user change may have deleted that user's sessions (disabled, new password): forget them all.
      else if (c.kind === 'user') this.cache.clear();
    });
  }

  /**
   * Checks the directory password; returns the new session's cookie value and its details. A blocked
   * client IP or user name gets 429 before the password is hashed.
   */
  async signIn(
    username: string,
    password: string,
    ip: string,
    call: CallContext = { proxyIp: null, requestId: null, endpoint: null },
  ): Promise<{ cookie: string; info: SessionInfo }> {
    return this.open(await this.checkPassword(username, password, ip, call), ip);
  }

  /**
   * The sign-in's password check without a session (also for a user confirming their current
   * password): a blocked client IP or user name gets 429 before the password is hashed, and a wrong
   * password counts against both (401).
   */
  async checkPassword(
    username: string,
    password: string,
    ip: string,
    call: CallContext = { proxyIp: null, requestId: null, endpoint: null },
  ): Promise<StoredUser> {
    const block = this.bruteForce?.checkPassword(ip, username, this.deps.now());
    if (block) throw blockedError(block);
    const user = await this.users.verifyPassword(username, password);
    if (!user) {
      this.bruteForce?.failed({ clientIp: ip, username, method: 'POST', ...call }, this.deps.now());
      throw new AppError('unauthorized', 'invalid user name or password');
    }
    return user;
  }

  /**
   * A session for a user the identity provider or a trusted SSO proxy has just vouched for (no
   * password here): the caller has provisioned the user and checked they may sign in. The method (and
   * the ID token for OIDC) is kept for the sign-out.
   */
  async openVerified(
    user: StoredUser,
    ip: string,
    origin: SessionOrigin,
  ): Promise<{ cookie: string; info: SessionInfo }> {
    if (user.disabled) throw new AppError('forbidden', 'the account is disabled');
    return this.open(user, ip, origin);
  }

  /**
   * How the web UI session behind a cookie value was opened (kept in its row, so any node knows it);
   * a password when there is no such session.
   */
  async origin(cookie: string): Promise<SessionOrigin> {
    const s = cookie.length === COOKIE_LENGTH ? await this.deps.store.sessions.find(hashToken(cookie)) : null;
    if (s?.kind !== 'ui') return { method: 'password' };
    return s.idToken === null ? { method: s.method } : { method: s.method, idToken: s.idToken };
  }

  /** A new web UI session for a user whose credentials were just checked. */
  async open(
    user: StoredUser,
    ip: string,
    origin: SessionOrigin = { method: 'password' },
  ): Promise<{ cookie: string; info: SessionInfo }> {
    const { cookie, session } = await openSession(this.deps, user.username, ip, origin, 'ui', SESSION_TTL_MS);
    return { cookie, info: { user, csrfToken: session.csrf, expiresAt: session.expiresAt } };
  }

  /** The session behind a cookie value, when it exists, has not expired and its user is enabled. */
  async lookup(cookie: string): Promise<SessionInfo | null> {
    if (cookie.length !== COOKIE_LENGTH) return null;
    const idHash = hashToken(cookie);
    const now = this.deps.now();
    let s = this.cache.get(idHash, now);
    if (s === undefined) {
      s = await this.deps.store.sessions.find(idHash);
      this.cache.set(idHash, s, now);
    }
    // A gateway session's cookie never opens the web UI (and the other way round: gateway-sessions.ts).
    if (!s || s.kind !== 'ui' || s.expiresAt <= now) return null;
    const user = await this.credentials.user(s.username, now);
    if (!user || user.disabled) return null;
    return { user, csrfToken: s.csrf, expiresAt: s.expiresAt };
  }

  /** True when the header carries this session's CSRF token. */
  checkCsrf(info: SessionInfo, header: string | undefined): boolean {
    return header !== undefined && constantTimeEqual(header, info.csrfToken);
  }

  /** Deletes expired sessions; a node runs it now and then. */
  async prune(): Promise<number> {
    return this.deps.store.sessions.pruneExpired(this.deps.now());
  }

  async signOut(cookie: string): Promise<void> {
    const idHash = hashToken(cookie);
    await deleteSession(this.deps, idHash);
    this.cache.delete(idHash);
  }
}

/** The length of a session cookie value: 32 random bytes in base64url. */
export const COOKIE_LENGTH = 43;

/**
 * Writes a new session row of `kind` and returns its cookie value (32 random bytes; only the SHA-256
 * is stored). Shared by the web UI's sessions and the gateway's browser sessions.
 */
export async function openSession(
  deps: Pick<ServiceDeps, 'store' | 'now'>,
  username: string,
  ip: string,
  origin: SessionOrigin,
  kind: StoredSession['kind'],
  ttlMs: number,
): Promise<{ cookie: string; session: StoredSession }> {
  const now = deps.now();
  const cookie = randomBytes(32).toString('base64url');
  const session: StoredSession = {
    idHash: hashToken(cookie),
    username,
    csrf: randomBytes(24).toString('base64url'),
    createdAt: now,
    expiresAt: now + ttlMs,
    ip,
    kind,
    method: origin.method,
    idToken: origin.idToken ?? null,
  };
  await deps.store.sessions.insert(session);
  return { cookie, session };
}

/** Deletes a session row and tells every node's caches (the change feed), in one transaction. */
export async function deleteSession(deps: Pick<ServiceDeps, 'store' | 'now'>, idHash: string): Promise<void> {
  await deps.store.transaction(async (tx) => {
    await tx.sessions.delete(idHash);
    await tx.changes.record('session', [idHash], deps.now());
  });
}
