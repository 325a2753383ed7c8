import { hashToken } from '../domain/token/hash.js';
import type { User } from '../domain/user.js';
import { LruCache } from '../domain/lru.js';
import type { StoredSession } from '../store/session-repo.js';
import type { ChangeFeed } from '../services/change-feed.js';
import type { ServiceDeps } from '../services/context.js';
import type { CredentialCache } from './credential-cache.js';
import { COOKIE_LENGTH, deleteSession, openSession, type SessionOrigin } from './sessions.js';

/** Sessions are remembered in memory this long before being read again; a sign-out elsewhere arrives by the feed. */
const CACHE_MS = 60_000;
/** Sessions remembered per node (a miss costs one indexed read). */
const CACHE_ENTRIES = 50_000;

/**
 * The sessions of browsers signed in through the gateway's SSO (`auth.browser`): rows of kind
 * `gateway` in the sessions table, so that a sign-out, a disabled user or a deleted user ends them on
 * every node (the change feed). The cookie value is 32 random bytes; only its SHA-256 is stored. A
 * web UI session's cookie never opens a gateway session, nor the other way round.
 *
 * On the request path a warm session costs one SHA-256 and two map lookups, synchronously, like a
 * warm token; a cold one one indexed read.
 */
export class GatewaySessions {
  private readonly cache = new LruCache<string, StoredSession | null>(CACHE_ENTRIES, CACHE_MS);

  constructor(
    private readonly deps: Pick<ServiceDeps, 'store' | 'now'>,
    private readonly credentials: CredentialCache,
    feed: ChangeFeed,
    /** How long a session lasts from sign-in. */
    private readonly ttlMs: number,
  ) {
    feed.subscribe((c) => {
      if (c.kind === 'session') this.cache.delete(c.ref);
      // A user change may have deleted that user's sessions (disabled, deleted): forget them all.
      else if (c.kind === 'user') this.cache.clear();
    });
  }

  /** A new session for a user the identity provider has just vouched for; returns the cookie value. */
  async open(user: User, ip: string, origin: SessionOrigin): Promise<{ cookie: string; expiresAt: number }> {
    const { cookie, session } = await openSession(
      this.deps,
      user.username,
      ip,
      origin,
      'gateway',
      this.ttlMs,
    );
    this.cache.set(session.idHash, session, this.deps.now());
    return { cookie, expiresAt: session.expiresAt };
  }

  /**
   * The enabled user of a live gateway session, or null. Synchronous when the session and its user
   * are in memory; otherwise one read each.
   */
  user(cookie: string, now: number): User | null | Promise<User | null> {
    if (cookie.length !== COOKIE_LENGTH) return null;
    const idHash = hashToken(cookie);
    const cached = this.cache.get(idHash, now);
    if (cached === undefined) return this.load(idHash, now);
    return this.userOf(cached, now);
  }

  /** Ends the session behind a cookie value, on every node; returns how it was opened (for the provider's logout). */
  async signOut(cookie: string): Promise<SessionOrigin | null> {
    if (cookie.length !== COOKIE_LENGTH) return null;
    const idHash = hashToken(cookie);
    const s = await this.deps.store.sessions.find(idHash);
    if (s?.kind !== 'gateway') return null;
    await deleteSession(this.deps, idHash);
    this.cache.delete(idHash);
    return s.idToken === null ? { method: s.method } : { method: s.method, idToken: s.idToken };
  }

  private async load(idHash: string, now: number): Promise<User | null> {
    const found = await this.deps.store.sessions.find(idHash);
    const s = found?.kind === 'gateway' ? found : null;
    this.cache.set(idHash, s, now);
    const user = this.userOf(s, now);
    return user instanceof Promise ? await user : user;
  }

  private userOf(s: StoredSession | null, now: number): User | null | Promise<User | null> {
    if (s === null || s.expiresAt <= now) return null;
    const user = this.credentials.user(s.username, now);
    if (user instanceof Promise) return user.then(enabled);
    return enabled(user);
  }
}

function enabled(user: User | null): User | null {
  return user !== null && !user.disabled ? user : null;
}
