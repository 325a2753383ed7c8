import { compileIpMatcher, type IpMatcher } from '../domain/auth/ip-rules.js';
import type { StoredToken } from '../domain/token/token.js';
import type { StoredUser } from '../domain/user.js';
import type { Store } from '../store/store.js';
import type { ChangeFeed } from '../services/change-feed.js';
import { LruCache } from '../domain/lru.js';

/** A token as the request path needs it: the record plus its compiled IP allow-list. */
export interface CachedToken {
  token: StoredToken;
  allowedIps: IpMatcher;
}

export interface CacheOptions {
  /** Most tokens (and users) held; the least recently used are dropped first. */
  maxEntries: number;
  /**
   * Safety-net lifetime, counted from the database read and never extended by use: an entry is
   * re-read after this long even if no change notice arrived (a missed notice can keep a revoked
   * token alive at most this long). It is also the bound of the outage policy: while the database
   * is unreachable a cached token keeps working until its entry is this old, then its re-read fails
   * and the request is refused with 503 (docs/security.md).
   */
  ttlMs: number;
}

export const DEFAULT_CACHE_OPTIONS: CacheOptions = { maxEntries: 10_000, ttlMs: 60_000 };

/**
 * Serves token and user lookups from memory so that a warm token costs no database read. Entries are
 * dropped when the change feed reports a change, and expire after `ttlMs` as a safety net.
 * Unknown hashes are not cached: a token created elsewhere must work at once.
 */
export class CredentialCache {
  private readonly tokens: LruCache<string, CachedToken>;
  /** The cached hashes of each token: its secret's, and former secrets' after a rotation. */
  private readonly hashesById = new Map<string, Set<string>>();
  private readonly users: LruCache<string, StoredUser | null>;
  private readonly inflightTokens = new Map<string, Promise<CachedToken | null>>();
  private readonly inflightUsers = new Map<string, Promise<StoredUser | null>>();
  /**
   * Change notices heard while loads were in flight. A load that read its record before a notice
   * about that same record is returned to its caller but not cached, so a revocation racing a cache
   * miss cannot leave a stale entry behind. Notices about other records do not stop it from caching:
   * in a busy cluster some notice is nearly always in flight, and the token would stay cold.
   */
  private readonly racing = new RacingNotices();
  /**
   * The gateway's token lookups (gateway.ts lookupCredentials): a hit found the token and its owner
   * in memory, a miss read the database (an unknown token always does). Plain numbers, so the request
   * path only adds one; the metrics read them at scrape time (tokengate_credential_cache_lookups_total).
   */
  readonly lookups = { hits: 0, misses: 0 };

  constructor(
    private readonly store: Store,
    feed: ChangeFeed,
    opts: CacheOptions = DEFAULT_CACHE_OPTIONS,
  ) {
    this.tokens = new LruCache(opts.maxEntries, opts.ttlMs, (hash, v) => this.forgetHash(v.token.id, hash));
    this.users = new LruCache(opts.maxEntries, opts.ttlMs);
    feed.subscribe((c) => {
      this.racing.heard(c.kind, c.ref);
      if (c.kind === 'token') this.evictToken(c.ref);
      else if (c.kind === 'user') this.users.delete(c.ref);
    });
  }

  /** The token with this hash when it is in memory, else undefined (never reads the database). */
  warmToken(hash: string, now: number): CachedToken | undefined {
    return this.tokens.get(hash, now);
  }

  /** The user when in memory (null: known not to exist), else undefined (never reads the database). */
  warmUser(username: string, now: number): StoredUser | null | undefined {
    return this.users.get(username, now);
  }

  /** The token with this hash, from memory when warm. Concurrent misses share one database read. */
  token(hash: string, now: number): CachedToken | null | Promise<CachedToken | null> {
    const hit = this.tokens.get(hash, now);
    if (hit) return hit;
    let p = this.inflightTokens.get(hash);
    if (!p) {
      p = this.loadToken(hash, now).finally(() => this.inflightTokens.delete(hash));
      this.inflightTokens.set(hash, p);
    }
    return p;
  }

  user(username: string, now: number): StoredUser | null | Promise<StoredUser | null> {
    const hit = this.users.get(username, now);
    if (hit !== undefined) return hit;
    let p = this.inflightUsers.get(username);
    if (!p) {
      const since = this.racing.begin();
      p = this.store.users
        .find(username)
        .then(
          (u) => {
            if (this.racing.end(since, 'user', username)) this.users.set(username, u, now);
            return u;
          },
          (err: unknown) => {
            this.racing.end(since, 'user', username);
            throw err;
          },
        )
        .finally(() => this.inflightUsers.delete(username));
      this.inflightUsers.set(username, p);
    }
    return p;
  }

  clear(): void {
    this.tokens.clear();
    this.users.clear();
    this.hashesById.clear();
  }

  private async loadToken(hash: string, now: number): Promise<CachedToken | null> {
    const since = this.racing.begin();
    let token: StoredToken | null;
    try {
      token = await this.store.tokens.findByHash(hash);
      if (!token) {
        // A former secret of a rotated token: the token, marked with how long that secret works.
        const old = await this.store.tokens.findRotated(hash);
        const current = old ? await this.store.tokens.findById(old.tokenId) : null;
        token = current && old ? { ...current, rotatedSecretValidUntil: old.validUntil } : null;
      }
    } catch (err) {
      this.racing.end(since, 'token', null);
      throw err;
    }
    const unchanged = this.racing.end(since, 'token', token?.id ?? null);
    if (!token) return null;
    const entry: CachedToken = { token, allowedIps: compileIpMatcher(token.allowedIps ?? []) };
    if (unchanged) {
      this.tokens.set(hash, entry, now);
      let hashes = this.hashesById.get(token.id);
      if (!hashes) this.hashesById.set(token.id, (hashes = new Set()));
      hashes.add(hash);
    }
    return entry;
  }

  private forgetHash(id: string, hash: string): void {
    const hashes = this.hashesById.get(id);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.hashesById.delete(id);
  }

  /** A change to a token drops every cached secret of it, former ones included. */
  private evictToken(id: string): void {
    const hashes = this.hashesById.get(id);
    if (!hashes) return;
    this.hashesById.delete(id);
    for (const hash of hashes) this.tokens.delete(hash);
  }
}

/** Most notices remembered while loads are in flight; past it the oldest are forgotten, conservatively. */
const MAX_RACING_NOTICES = 10_000;

/**
 * The change notices heard while at least one load was in flight, so that a finished load can ask
 * "was my record changed since I started?". Forgotten as soon as no load is in flight.
 */
class RacingNotices {
  private seq = 0;
  private inFlight = 0;
  private readonly notices: Array<{ seq: number; key: string }> = [];
  /** Loads that started at or before this notice cannot tell any more: they do not cache. */
  private forgottenUpTo = 0;

  heard(kind: string, ref: string): void {
    this.seq++;
    if (this.inFlight === 0) return;
    this.notices.push({ seq: this.seq, key: `${kind}:${ref}` });
    if (this.notices.length > MAX_RACING_NOTICES) this.forgottenUpTo = this.notices.shift()?.seq ?? 0;
  }

  /** A load starts; returns what it must hand back to `end`. */
  begin(): number {
    this.inFlight++;
    return this.seq;
  }

  /** A load ends; true when no notice about its record (`kind:ref`, or `kind:*`) came since `since`. */
  end(since: number, kind: string, ref: string | null): boolean {
    let unchanged = since >= this.forgottenUpTo;
    if (unchanged && ref !== null) {
      const own = `${kind}:${ref}`;
      const all = `${kind}:*`;
      unchanged = !this.notices.some((n) => n.seq > since && (n.key === own || n.key === all));
    }
    this.inFlight--;
    if (this.inFlight === 0) {
      this.notices.length = 0;
      this.forgottenUpTo = 0;
    }
    return unchanged;
  }
}
