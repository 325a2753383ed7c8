import type { Redis } from 'ioredis';
import {
  MemoryRateLimitStore,
  type RateDecision,
  type RateLimitPolicy,
  type RateLimitStore,
} from '../domain/auth/rate-limit.js';
import { RedisHealth } from './redis-health.js';

/**
 * GCRA in one Lua script, so each decision is atomic across every node: the same algorithm as
 * `gcra()` in src/domain/auth/rate-limit.ts (a burst of `requests`, then one every `windowMs/requests`),
 * with the TAT kept in Redis. Time comes from the caller, in ms, so all nodes judge by their clocks
 * consistently with the memory store; keep node clocks in sync (NTP).
 *
 * KEYS[1] = key; ARGV = now, requests, windowMs. Returns {allowed, remaining, resetMs, retryAfterMs}.
 * Numbers cross the boundary as '%.6f' text: Lua's tostring keeps 14 digits, too few for a TAT in
 * epoch ms with a fractional interval (a burst would come out one short).
 */
const GCRA_LUA = `
local now = tonumber(ARGV[1])
local requests = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local interval = window / requests
local slack = 0.001
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then
  tat = tonumber(stored)
  if tat < now then tat = now end
end
local newTat = tat + interval
local allowAt = newTat - window
if allowAt - now > slack then
  return {0, 0, string.format('%.6f', tat - now), string.format('%.6f', allowAt - now)}
end
redis.call('SET', KEYS[1], string.format('%.6f', newTat), 'PX', math.ceil(newTat - now) + 1000)
local remaining = math.floor((window - (newTat - now) + slack) / interval)
if remaining < 0 then remaining = 0 end
return {1, remaining, string.format('%.6f', newTat - now), '0'}
`;

export interface RedisRateLimitOptions {
  keyPrefix?: string;
  /** Called once when Redis fails and once when it is back. */
  onStateChange?: (healthy: boolean, err?: unknown) => void;
  /** Counts decisions taken by the per-node fallback. */
  onFallback?: () => void;
  now?: () => number;
}

/**
 * Cluster-wide rate limits in Redis. When Redis cannot answer, decisions fall back to a per-node
 * memory store (each node then allows the limit on its own), a warning is logged once, and Redis is
 * tried again every few seconds: authentication never stops because Redis did.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly fallback = new MemoryRateLimitStore();
  private readonly health: RedisHealth;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisRateLimitOptions = {},
  ) {
    this.prefix = opts.keyPrefix ?? 'tokengate:rl:';
    this.health = new RedisHealth(opts.onStateChange, opts.now);
    redis.defineCommand('tgGcra', { numberOfKeys: 1, lua: GCRA_LUA });
  }

  get isHealthy(): boolean {
    return this.health.isHealthy;
  }

  /** Redis is known to be away (e.g. at start): fall back now and report the return when it comes. */
  markDown(err?: unknown): void {
    this.health.markDown(err);
  }

  consume(key: string, policy: RateLimitPolicy, now: number): Promise<RateDecision> {
    return this.health.run(
      async () => {
        const r = (await (
          this.redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
        ).tgGcra?.(this.prefix + key, now, policy.requests, policy.windowMs)) as [
          number,
          number,
          string,
          string,
        ];
        return {
          allowed: r[0] === 1,
          limit: policy.requests,
          windowMs: policy.windowMs,
          remaining: Number(r[1]),
          resetMs: Number(r[2]),
          retryAfterMs: Number(r[3]),
        };
      },
      () => this.fromFallback(key, policy, now),
    );
  }

  private fromFallback(key: string, policy: RateLimitPolicy, now: number): RateDecision {
    this.opts.onFallback?.();
    return this.fallback.consume(key, policy, now);
  }

  sweep(now: number): number {
    return this.fallback.sweep(now);
  }
}
