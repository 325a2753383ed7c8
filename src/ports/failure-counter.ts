import { LruCache } from '../domain/lru.js';

/**
 * Where brute-force protection counts failures (see auth/brute-force.ts): in this process's memory
 * on one node, in Redis across a cluster (cluster/redis-brute-force.ts). Both run the conformance
 * suite in test/conformance/failure-counter.test.ts.
 */

export type BlockSubject = 'ip' | 'user';

export interface BlockRule {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
}

export interface FailResult {
  /** What is left of the key's block, in ms; 0 when it is not blocked. */
  blockedMs: number;
  /** True for the one failure that started the block (cluster-wide with Redis). */
  started: boolean;
}

/** Where failures are counted. `fail` applies one failure atomically per key. */
export interface FailureCounter {
  fail(key: string, rule: BlockRule, now: number): FailResult | Promise<FailResult>;
}

/** Most IPs, and separately most user names, one process tracks; the least recently seen go first. */
export const MAX_TRACKED_KEYS = 50_000;

const NOT_BLOCKED: FailResult = { blockedMs: 0, started: false };

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Per-process counts: a fixed window per key. Bounded: an attacker who sprays addresses only pushes
 * out the oldest counts, and IP counts cannot push out user counts (each kind has its own cap).
 */
export class MemoryFailureCounter implements FailureCounter {
  private readonly ips: LruCache<string, Window>;
  private readonly users: LruCache<string, Window>;

  constructor(maxKeys = MAX_TRACKED_KEYS) {
    this.ips = new LruCache(maxKeys, Number.POSITIVE_INFINITY);
    this.users = new LruCache(maxKeys, Number.POSITIVE_INFINITY);
  }

  fail(key: string, rule: BlockRule, now: number): FailResult {
    const map = key.startsWith('user:') ? this.users : this.ips;
    let w = map.get(key, now);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + rule.windowMs };
      map.set(key, w, now);
    }
    w.count++;
    if (w.count < rule.maxFailures) return NOT_BLOCKED;
    map.delete(key);
    return { blockedMs: rule.blockMs, started: true };
  }

  /** Keys tracked, per kind (for tests of the bound). */
  get size(): { ips: number; users: number } {
    return { ips: this.ips.size, users: this.users.size };
  }
}
