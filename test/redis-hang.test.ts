import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { noRedisServer, PrivateRedis, REDIS_SERVER } from './support/private-redis.js';
import { freePort, sleep } from './support/processes.js';

/**
 * Cluster mode when Redis hangs (docs/cluster.md, "Redis fails"): its connections stay open but it
 * answers nothing, like a black-holed network path (SIGSTOP on a private redis-server). Requests
 * fall back to the node's own rate limits instead of waiting, and the node uses Redis again once it
 * answers. Redis going away and coming back is tested in redis-outage.test.ts.
 */

/** How long the node may take to use Redis again after it returns: the retry pause plus ioredis's reconnect back-off. */
const RECOVERY_BOUND_MS = 15_000;
/** A request may wait this long for a hung Redis before the test calls it stuck. */
const HANG_BOUND_MS = 5_000;

describe('cluster mode when Redis hangs', { skip: noRedisServer }, () => {
  let redis: PrivateRedis;
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let adminRead: string;

  before(async () => {
    redis = new PrivateRedis(REDIS_SERVER ?? '', await freePort());
    await redis.start();
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.redis = redis.url;
    });
    adminRead = (await t.tokenFor('admin', { description: 'metrics scraper', scope: 'read' })).token;
  });

  after(async () => {
    await t.close();
    await up.close();
    await redis.stop();
  });

  const call = (token: string): Promise<number> =>
    fetch(`${t.url}/data`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });

  /** One metric's value (no labels but the node's), read from /_tokengate/metrics like Prometheus would. */
  const metric = async (name: string): Promise<number> => {
    const res = await fetch(`${t.adminUrl}/_tokengate/metrics`, {
      headers: { authorization: `Bearer ${adminRead}` },
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    assert.ok(line !== undefined, `${name} is not among the metrics:\n${text.slice(0, 2_000)}`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  const limitedToken = async (
    requests: number,
    description: string,
  ): Promise<{ token: string; id: string }> =>
    t.tokenFor('admin', { description, rateLimit: { requests, windowSeconds: 60 } });

  it('while Redis hangs (connections open, no answers), requests fall back instead of waiting', async () => {
    const tok = await limitedToken(100, 'while Redis hangs');
    assert.equal(await call(tok.token), 200);
    const timed = async (): Promise<{ status: number | string; ms: number }> => {
      const started = performance.now();
      const status = await fetch(`${t.url}/data`, {
        headers: { authorization: `Bearer ${tok.token}` },
        signal: AbortSignal.timeout(HANG_BOUND_MS),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        (err: unknown) => `no answer within ${HANG_BOUND_MS} ms (${String(err)})`,
      );
      return { status, ms: performance.now() - started };
    };
    redis.pause(true);
    try {
      const first = await timed();
      const next = [await timed(), await timed(), await timed()];
      console.log(
        `  while Redis hangs: first request ${String(first.status)} after ${first.ms.toFixed(0)} ms, the next ${next.map((n) => `${String(n.status)} after ${n.ms.toFixed(0)} ms`).join(', ')}`,
      );
      assert.equal(first.status, 200);
      for (const n of next) assert.equal(n.status, 200);
      // Only the first request waits for Redis; the next ones go straight to the fallback.
      assert.ok(Math.max(...next.map((n) => n.ms)) < first.ms, 'later requests waited for Redis too');
      assert.equal(await metric('tokengate_redis_up'), 0);
    } finally {
      redis.pause(false);
    }
    const resumed = Date.now();
    let back = false;
    while (!back && Date.now() - resumed < RECOVERY_BOUND_MS) {
      assert.equal(await call(tok.token), 200);
      back = (await metric('tokengate_redis_up')) === 1;
      if (!back) await sleep(100);
    }
    assert.ok(
      back,
      `tokengate_redis_up did not return to 1 within ${RECOVERY_BOUND_MS} ms of Redis answering again`,
    );
    console.log(`  Redis answering again: rate limits back in Redis after ${Date.now() - resumed} ms`);
  });
});
