import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisFailureCounter } from '../../src/cluster/redis-brute-force.js';
import { compileIpMatcher } from '../../src/domain/auth/ip-rules.js';
import { defaultSettings } from '../../src/domain/settings.js';
import { BruteForceGuard, type BlockNotice, type FailedAttempt } from '../../src/auth/brute-force.js';
import {
  MemoryFailureCounter,
  type BlockRule,
  type FailureCounter,
} from '../../src/ports/failure-counter.js';
import { requireRedis } from '../support/redis.js';

/**
 * The same failure-counting contract from every FailureCounter (src/ports/failure-counter.ts): the
 * memory counter of a single node and the Redis counter of a cluster (src/cluster/redis-brute-force.ts,
 * one Lua script per failure). The memory counter's window runs on the `now` it is given, Redis's on
 * its own TTLs; so every call here passes the real clock, and expiry is waited for (bounded), never timed.
 */
const redisNeed = await requireRedis();
const clients: Redis[] = [];

const COUNTERS: Array<{ name: string; skip: string | false; make: () => FailureCounter }> = [
  { name: 'memory', skip: false, make: () => new MemoryFailureCounter() },
  {
    name: 'redis',
    skip: 'skip' in redisNeed ? redisNeed.skip : false,
    make: () => {
      const r = new Redis('url' in redisNeed ? redisNeed.url : '', { maxRetriesPerRequest: 1 });
      clients.push(r);
      return new RedisFailureCounter(r, { keyPrefix: `tg-test:bf:${randomBytes(4).toString('hex')}:` });
    },
  },
];

after(() => {
  for (const c of clients) c.disconnect();
});

const HOUR = 3_600_000;
const rule = (maxFailures: number, windowMs = HOUR, blockMs = 15 * 60_000): BlockRule => ({
  maxFailures,
  windowMs,
  blockMs,
});

/** Resolves once the real clock is past `t`; bounded by how far away `t` is. */
async function until(t: number): Promise<void> {
  while (Date.now() <= t)
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, t - Date.now() + 1)));
}

const attempt = (clientIp: string, username: string | null = null): FailedAttempt => ({
  clientIp,
  proxyIp: null,
  username,
  requestId: 'r1',
  method: 'POST',
  endpoint: '/x',
});

for (const c of COUNTERS) {
  describe(`failure counter conformance: ${c.name}`, { skip: c.skip }, () => {
    it('counts within the window: below the limit nothing, the failure that reaches it starts the block', async () => {
      const counter = c.make();
      const r3 = rule(3);
      assert.deepEqual(await counter.fail('ip:198.51.100.1', r3, Date.now()), {
        blockedMs: 0,
        started: false,
      });
      assert.deepEqual(await counter.fail('ip:198.51.100.1', r3, Date.now()), {
        blockedMs: 0,
        started: false,
      });
      assert.deepEqual(await counter.fail('ip:198.51.100.1', r3, Date.now()), {
        blockedMs: r3.blockMs,
        started: true,
      });
    });

    it('a limit of one blocks on the first failure', async () => {
      const counter = c.make();
      assert.deepEqual(await counter.fail('ip:198.51.100.2', rule(1, HOUR, 60_000), Date.now()), {
        blockedMs: 60_000,
        started: true,
      });
    });

    it('a failure after the block never starts a second one (the guard holds the block meanwhile)', async () => {
      const counter = c.make();
      const r2 = rule(2);
      await counter.fail('ip:198.51.100.3', r2, Date.now());
      assert.equal((await counter.fail('ip:198.51.100.3', r2, Date.now())).started, true);
      const again = await counter.fail('ip:198.51.100.3', r2, Date.now());
      assert.equal(again.started, false);
      // Memory forgets the count at the block (the guard's own map holds it); Redis answers with
      // what is left of the cluster's block. Either way, never more than the block.
      assert.ok(again.blockedMs >= 0 && again.blockedMs <= r2.blockMs, String(again.blockedMs));
    });

    it('keeps keys apart: other addresses, a user per address, and an IP and a user of the same text', async () => {
      const counter = c.make();
      const r2 = rule(2);
      await counter.fail('ip:198.51.100.4', r2, Date.now());
      for (const key of ['ip:198.51.100.5', 'user:alice|198.51.100.4', 'user:alice|198.51.100.5', 'ip:alice'])
        assert.deepEqual(await counter.fail(key, r2, Date.now()), { blockedMs: 0, started: false }, key);
      assert.equal((await counter.fail('ip:198.51.100.4', r2, Date.now())).started, true);
      assert.equal((await counter.fail('user:alice|198.51.100.4', r2, Date.now())).started, true);
      assert.equal((await counter.fail('user:bob|198.51.100.4', r2, Date.now())).started, false);
    });

    it('forgets the count once the window is over: the next failure starts a new window', async () => {
      const counter = c.make();
      const key = `ip:198.51.100.6`;
      const short = rule(3, 200);
      await counter.fail(key, short, Date.now());
      // Taken after the first failure was counted, so its window started before this.
      const opened = Date.now();
      await counter.fail(key, short, Date.now());
      await until(opened + short.windowMs + 20);
      // Had the two failures above still counted, the first of these would block.
      const long = rule(3);
      assert.equal((await counter.fail(key, long, Date.now())).started, false);
      assert.equal((await counter.fail(key, long, Date.now())).started, false);
      assert.equal((await counter.fail(key, long, Date.now())).started, true);
    });

    it('applies each failure atomically: as many concurrent failures as the limit start exactly one block', async () => {
      const counter = c.make();
      const r10 = rule(10);
      // Exactly the limit: past it the two differ (see above), and the guard stops counting there.
      const results = await Promise.all(
        Array.from({ length: 10 }, async () => counter.fail('ip:198.51.100.7', r10, Date.now())),
      );
      assert.equal(results.filter((r) => r.started).length, 1);
      assert.equal(results.filter((r) => r.blockedMs === 0).length, 9);
    });

    it('drives the guard: a block at the limit, announced once, refusing that client only', async () => {
      const settings = {
        ...defaultSettings(),
        'bruteForce.ipMaxFailures': 3,
        'bruteForce.userMaxFailures': 2,
      };
      const notices: BlockNotice[] = [];
      const errors: unknown[] = [];
      let heard: () => void = () => undefined;
      const guard = new BruteForceGuard({
        counter: c.make(),
        settings: { snapshot: { settings, trustedProxies: compileIpMatcher([]) } },
        onBlock: (n) => {
          notices.push(n);
          heard();
        },
        onError: (err) => errors.push(err),
      });
      const blocked = (n: number): Promise<void> =>
        new Promise<void>((resolve, reject) => {
          const deadline = setTimeout(() => reject(new Error(`${notices.length} of ${n} blocks`)), 10_000);
          const check = (): void => {
            if (notices.length < n) return;
            clearTimeout(deadline);
            resolve();
          };
          heard = check;
          check();
        });
      // The user counts per address: two failures for carol block her from this address only.
      guard.failed(attempt('203.0.113.20', 'carol'), Date.now());
      guard.failed(attempt('203.0.113.20', 'carol'), Date.now());
      await blocked(1);
      assert.equal(notices[0]?.subject, 'user');
      assert.equal(notices[0]?.value, 'carol');
      assert.ok(guard.checkPassword('203.0.113.20', 'carol', Date.now()));
      assert.equal(guard.checkPassword('203.0.113.21', 'carol', Date.now()), null);
      // The third failure from the address blocks it.
      guard.failed(attempt('203.0.113.20'), Date.now());
      await blocked(2);
      assert.equal(notices[1]?.subject, 'ip');
      assert.equal(notices[1]?.value, '203.0.113.20');
      assert.equal(notices[1]?.until, (notices[1]?.at ?? 0) + settings['bruteForce.blockSeconds'] * 1000);
      const block = guard.checkIp('203.0.113.20', Date.now());
      assert.equal(block?.subject, 'ip');
      assert.ok((block?.retryAfterMs ?? 0) > 0);
      assert.equal(guard.checkIp('203.0.113.21', Date.now()), null);
      // Blocked here: more failures are not counted again, and start no second notice.
      guard.failed(attempt('203.0.113.20'), Date.now());
      assert.equal(notices.length, 2);
      assert.deepEqual(errors, []);
    });
  });
}
