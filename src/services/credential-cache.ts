import { compileIpMatcher, type IpMatcher } from '../domain/ip-rules.js';
import type { StoredToken } from '../domain/token.js';
import type { StoredUser } from '../domain/user.js';
import type { Store } from '../store/store.js';
import type { ChangeFeed } from './change-feed.js';
import { LruCache } from './lru.js';

/** A token as the request path needs it: the record plus its compiled IP allow-list. */
export interface CachedToken {
  token: StoredToken;
  allowedIps: IpMatcher;
}

export interface CacheOptions {
  /** Most tokens (and users) held; the least recently used are dropped first. */
  maxEntries: number;
  /**
   * Safety-net lifetime: an entry is re-read after this long even if no change notice arrived
   * (a missed notice can keep a revoked token alive at most this long).
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
  private readonly hashById = new Map<string, string>();
  private readonly users: LruCache<string, StoredUser | null>;
  private readonly inflightTokens = new Map<string, Promise<CachedToken | null>>();
  private readonly inflightUsers = new Map<string, Promise<StoredUser | null>>();
  /**
   * Bumped by every change notice. A load that started before a notice is returned to its caller but
   * not cached, so a revocation racing a cache miss cannot leave a stale entry behind.
   */
  private generation = 0;

  constructor(
    private readonly store: Store,
    feed: ChangeFeed,
    opts: CacheOptions = DEFAULT_CACHE_OPTIONS,
  ) {
    this.tokens = new LruCache(opts.maxEntries, opts.ttlMs, (_hash, v) => this.hashById.delete(v.token.id));
    this.users = new LruCache(opts.maxEntries, opts.ttlMs);
    feed.subscribe((c) => {
      this.generation++;
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
      const gen = this.generation;
      p = this.store.users
        .find(username)
        .then((u) => {
          if (gen === this.generation) this.users.set(username, u, now);
          return u;
        })
        .finally(() => this.inflightUsers.delete(username));
      this.inflightUsers.set(username, p);
    }
    return p;
  }

  clear(): void {
    this.tokens.clear();
    this.users.clear();
    this.hashById.clear();
  }

  private async loadToken(hash: string, now: number): Promise<CachedToken | null> {
    const gen = this.generation;
    const token = await this.store.tokens.findByHash(hash);
    if (!token) return null;
    const entry: CachedToken = { token, allowedIps: compileIpMatcher(token.allowedIps ?? []) };
    if (gen === this.generation) {
      this.tokens.set(hash, entry, now);
      this.hashById.set(token.id, hash);
    }
    return entry;
  }

  private evictToken(id: string): void {
    const hash = this.hashById.get(id);
    if (hash === undefined) return;
    this.tokens.delete(hash);
    this.hashById.delete(id);
  }
}
