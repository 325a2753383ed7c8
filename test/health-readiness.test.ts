import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Readiness } from '../src/metrics/readiness.js';
import { VERSION } from '../src/version.js';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { noRedisServer, PrivateRedis, REDIS_SERVER } from './support/private-redis.js';
import { freePort, sleep } from './support/processes.js';

/**
 * Liveness and readiness (issue 19): /livez checks nothing, /readyz checks the database, Redis in
 * cluster mode and, with health.upstream, the upstream; 503 with a JSON body naming what failed.
 * Served on the gateway's and the admin listener under /_tokengate/ (where /_tokengate/health still
 * answers) and at /livez and /readyz on the metrics listener.
 */

interface Report {
  status: string;
  checks: Record<string, string>;
  errors: Record<string, string>;
}

async function probe(url: string): Promise<{ status: number; body: Report }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Report };
}

/** Probes until `want` answers, within `boundMs` (a bound for a reconnect, not a timed assertion). */
async function probeUntil(
  url: string,
  want: number,
  boundMs: number,
): Promise<{ status: number; body: Report }> {
  const until = Date.now() + boundMs;
  for (;;) {
    const r = await probe(url);
    if (r.status === want || Date.now() > until) return r;
    await sleep(100);
  }
}

describe('Readiness', () => {
  it('runs every check; a failed one names itself and its error, without URLs (they may carry passwords)', async () => {
    const r = new Readiness([
      { name: 'database', check: () => Promise.resolve() },
      {
        name: 'redis',
        check: () => Promise.reject(new Error('connect ECONNREFUSED redis://:s3cret@10.0.0.1:6379')),
      },
    ]);
    const report = await r.run();
    assert.deepEqual(report, {
      status: 'unavailable',
      checks: { database: 'ok', redis: 'unavailable' },
      errors: { redis: 'connect ECONNREFUSED <url>' },
    });
    assert.ok(!JSON.stringify(report).includes('s3cret'));
  });

  it('counts a check that never answers as unavailable, after its bound', async () => {
    const r = new Readiness([{ name: 'database', check: () => new Promise<void>(() => undefined) }], 50);
    assert.deepEqual(await r.run(), {
      status: 'unavailable',
      checks: { database: 'unavailable' },
      errors: { database: 'database did not answer within 50 ms' },
    });
  });

  it('counts a check that throws synchronously as unavailable', async () => {
    const r = new Readiness([
      {
        name: 'database',
        check: () => {
          throw new Error('closed');
        },
      },
    ]);
    assert.equal((await r.run()).checks.database, 'unavailable');
  });

  it('shares one run between probes that arrive together', async () => {
    let runs = 0;
    const r = new Readiness([
      {
        name: 'database',
        check: async () => {
          runs++;
        },
      },
    ]);
    await Promise.all([r.run(), r.run(), r.run()]);
    assert.equal(runs, 1);
    await r.run();
    assert.equal(runs, 2);
  });
});

describe('/livez and /readyz on a node', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  /** health.upstream on, and an upstream nothing listens on. */
  let deadUpstream: TestNode;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.metrics.enabled = true;
      c.metrics.port = 0;
      c.health.upstream = true;
    });
    deadUpstream = await startTestNode(`http://127.0.0.1:${await freePort()}`, (c) => {
      c.db = t.node.ctx.config.db;
      c.nodeId = 'dead-upstream';
      c.health.upstream = true;
    });
  });

  after(async () => {
    await deadUpstream.close();
    await t.close();
    await up.close();
  });

  it('answers on the gateway, admin and metrics listeners without credentials', async () => {
    const urls = [
      `${t.url}/_tokengate/livez`,
      `${t.adminUrl}/_tokengate/livez`,
      `${t.node.metricsUrl ?? ''}/livez`,
    ];
    for (const url of urls) assert.deepEqual(await probe(url), { status: 200, body: { status: 'ok' } }, url);
    const ready = { status: 'ready', checks: { database: 'ok', upstream: 'ok' }, errors: {} };
    for (const url of [
      `${t.url}/_tokengate/readyz`,
      `${t.adminUrl}/_tokengate/readyz`,
      `${t.node.metricsUrl ?? ''}/readyz`,
    ])
      assert.deepEqual(await probe(url), { status: 200, body: ready }, url);
    assert.equal(up.seen.length, 0, 'probes never reach the upstream (a TCP connect only)');
  });

  it('keeps /_tokengate/health', async () => {
    const res = await fetch(`${t.url}/_tokengate/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      status: 'ok',
      version: VERSION,
      nodeId: 'test-node',
      database: 'ok',
    });
  });

  it('is not ready while the upstream refuses connections (health.upstream), and still alive', async () => {
    const r = await probe(`${deadUpstream.url}/_tokengate/readyz`);
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'unavailable');
    assert.deepEqual(r.body.checks, { database: 'ok', upstream: 'unavailable' });
    assert.match(r.body.errors.upstream ?? '', /ECONNREFUSED/);
    assert.equal((await probe(`${deadUpstream.url}/_tokengate/livez`)).status, 200);
  });

  it('is not ready once the database is closed', async () => {
    const n = await startTestNode(up.url, (c) => {
      c.db = t.node.ctx.config.db;
      c.nodeId = 'closing-database';
    });
    try {
      await n.node.ctx.database.close();
      const r = await probe(`${n.url}/_tokengate/readyz`);
      assert.equal(r.status, 503);
      assert.deepEqual(r.body.checks, { database: 'unavailable' });
      assert.ok((r.body.errors.database ?? '').length > 0);
      assert.equal((await probe(`${n.url}/_tokengate/livez`)).status, 200);
    } finally {
      await n.close().catch(() => undefined);
    }
  });
});

describe('/readyz in cluster mode while Redis is down', { skip: noRedisServer }, () => {
  let redis: PrivateRedis;
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  /** health.redis off: stays ready on its per-node fallback. */
  let lenient: TestNode;
  /** ioredis's reconnect back-off in src/metrics/redis-check.ts is at most 2 s. */
  const RECONNECT_BOUND_MS = 10_000;

  before(async () => {
    redis = new PrivateRedis(REDIS_SERVER ?? '', await freePort());
    await redis.start();
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.redis = redis.url;
      c.metrics.enabled = true;
      c.metrics.port = 0;
    });
    lenient = await startTestNode(up.url, (c) => {
      c.redis = redis.url;
      c.db = t.node.ctx.config.db;
      c.nodeId = 'lenient';
      c.health.redis = false;
    });
  });

  after(async () => {
    await lenient.close();
    await t.close();
    await up.close();
    await redis.stop();
  });

  it('is ready with Redis up, 503 naming redis while it is down, and ready again when it returns', async () => {
    const readyz = `${t.node.metricsUrl ?? ''}/readyz`;
    const upNow = await probeUntil(readyz, 200, RECONNECT_BOUND_MS);
    assert.deepEqual(upNow, {
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', redis: 'ok' }, errors: {} },
    });
    await redis.stop();
    const down = await probe(readyz);
    assert.equal(down.status, 503);
    assert.deepEqual(down.body.checks, { database: 'ok', redis: 'unavailable' });
    assert.ok((down.body.errors.redis ?? '').length > 0);
    assert.ok(!(down.body.errors.redis ?? '').includes('redis://'));
    // The gateway's listener says the same; the process is alive.
    assert.equal((await probe(`${t.url}/_tokengate/readyz`)).status, 503);
    assert.equal((await probe(`${t.node.metricsUrl ?? ''}/livez`)).status, 200);
    // health.redis off: the node keeps serving on its own limits and stays ready.
    assert.deepEqual(await probe(`${lenient.url}/_tokengate/readyz`), {
      status: 200,
      body: { status: 'ready', checks: { database: 'ok' }, errors: {} },
    });
    await redis.start();
    const back = await probeUntil(readyz, 200, RECONNECT_BOUND_MS);
    assert.equal(back.status, 200, JSON.stringify(back.body));
  });
});
