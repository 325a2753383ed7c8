import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisRateLimitStore } from '../src/cluster/redis-rate-limit.js';
import { MemoryRateLimitStore, type RateLimitStore } from '../src/domain/auth/rate-limit.js';
import { requireRedis } from './support/redis.js';

/**
 * The same rate-limit behaviour from every store: the memory store of a single node and the Redis
 * store of a cluster (one Lua script per decision).
 */
const redisNeed = await requireRedis();
const clients: Redis[] = [];

const STORES: Array<{ name: string; skip: string | false; make: () => RateLimitStore }> = [
  { name: 'memory', skip: false, make: () => new MemoryRateLimitStore() },
  {
    name: 'redis',
    skip: 'skip' in redisNeed ? redisNeed.skip : false,
    make: () => {
      const r = new Redis('url' in redisNeed ? redisNeed.url : '', { maxRetriesPerRequest: 1 });
      clients.push(r);
      return new RedisRateLimitStore(r, { keyPrefix: `tg-test:${randomBytes(4).toString('hex')}:` });
    },
  },
];

after(() => {
  for (const c of clients) c.disconnect();
});

const T = 1_900_000_000_000;
const minute = { requests: 5, windowMs: 60_000 };

for (const s of STORES) {
  describe(`rate-limit store conformance: ${s.name}`, { skip: s.skip }, () => {
    it('allows a burst of exactly N, counting remaining down, then refuses with Retry-After', async () => {
      const store = s.make();
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const d = await store.consume('k1', minute, T);
        assert.equal(d.allowed, true);
        remaining.push(d.remaining);
      }
      assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
      const refused = await store.consume('k1', minute, T);
      assert.equal(refused.allowed, false);
      assert.ok(Math.abs(refused.retryAfterMs - 12_000) < 1, String(refused.retryAfterMs));
      assert.equal(refused.limit, 5);
    });

    it('frees one request per interval (GCRA), and a refusal consumes nothing', async () => {
      const store = s.make();
      for (let i = 0; i < 5; i++) await store.consume('k2', minute, T);
      assert.equal((await store.consume('k2', minute, T + 11_999)).allowed, false);
      assert.equal((await store.consume('k2', minute, T + 12_000)).allowed, true);
      assert.equal((await store.consume('k2', minute, T + 12_000)).allowed, false);
      const full = await store.consume('k3', minute, T);
      assert.equal(full.remaining, 4);
    });

    it('keeps keys independent and handles fractional intervals exactly', async () => {
      const store = s.make();
      const seven = { requests: 7, windowMs: 1000 };
      let allowed = 0;
      for (let i = 0; i < 8; i++) if ((await store.consume('frac', seven, T)).allowed) allowed++;
      assert.equal(allowed, 7);
      assert.equal((await store.consume('other', seven, T)).allowed, true);
    });

    it('holds the limit under concurrent decisions', async () => {
      const store = s.make();
      const results = await Promise.all(
        Array.from({ length: 40 }, async () => store.consume('busy', { requests: 10, windowMs: 60_000 }, T)),
      );
      assert.equal(results.filter((r) => r.allowed).length, 10);
    });
  });
}
