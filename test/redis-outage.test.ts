import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisRateLimitStore } from '../src/cluster/redis-rate-limit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import type { ChangeKind } from '../src/store/change-repo.js';
import { cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { noRedisServer, PrivateRedis, REDIS_SERVER } from './support/private-redis.js';
import { freePort, sleep } from './support/processes.js';

/**
 * Cluster mode when Redis goes away (docs/cluster.md, "Redis fails"): authentication keeps working
 * from the database, rate limits fall back to each node's own memory store with one warning and the
 * `tokengate_redis_up` / `tokengate_ratelimit_fallback_total` metrics, and once Redis is back the
 * node takes its decisions in Redis again (cluster-wide) and hears changes by pub/sub again.
 *
 * A Redis that hangs instead of going away is tested in redis-hang.test.ts.
 *
 * The suite runs a private redis-server on a free loopback port, so it can stop and restart it
 * without touching the shared one. It needs redis-server (TOKENGATE_TEST_REDIS_SERVER names it when
 * it is not on PATH); missing locally it skips, missing under CI=true it fails.
 */

/** tokengate's own Redis names (src/cluster): rate-limit keys and the change channel. */
const RL_PREFIX = 'tokengate:rl:';
const CHANNEL = 'tokengate:changes';
/** RedisRateLimitStore tries a failed Redis again after this long (RETRY_AFTER_FAILURE_MS). */
const RETRY_AFTER_FAILURE_MS = 5_000;
/** How long the node may take to use Redis again after it returns: the retry pause plus ioredis's reconnect back-off. */
const RECOVERY_BOUND_MS = 15_000;
const UNREACHABLE = 'Redis is unreachable';
/** The bound for a change to reach every node through Redis. */
const PROPAGATION_BOUND_MS = 1_000;
/** Beyond changePollMs, what one poll and the request that notices it may take. */
const POLL_SLACK_MS = 1_500;
/** Longer than ioredis's longest pause between reconnection attempts in src/cluster/redis.ts (2 s). */
const RECONNECT_MS = 3_000;

describe('cluster mode when Redis goes away and comes back', { skip: noRedisServer }, () => {
  let redis: PrivateRedis;
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  /** A second node on the same database and Redis. */
  let t2: TestNode;
  let adminRead: string;
  /** The test's own Redis client, playing the other nodes of the cluster. */
  let peer: Redis;
  let peerLimits: RedisRateLimitStore;
  /** Changes this node's feed reported, with when. */
  const heard: Array<{ kind: ChangeKind; ref: string; at: number }> = [];
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    redis = new PrivateRedis(REDIS_SERVER ?? '', await freePort());
    await redis.start();
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.redis = redis.url;
    });
    t2 = await startTestNode(up.url, (c) => {
      c.redis = redis.url;
      c.db = t.node.ctx.config.db;
      c.nodeId = 'second-node';
    });
    t.node.ctx.feed.subscribe((c) => heard.push({ kind: c.kind, ref: c.ref, at: Date.now() }));
    // The admin creates far more than the default 10 tokens below.
    await t.settings({ 'tokens.maxPerUser': 10_000 });
    adminRead = (await t.tokenFor('admin', { description: 'metrics scraper', scope: 'read' })).token;
    peer = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 500) });
    peer.on('error', () => undefined);
    peerLimits = new RedisRateLimitStore(peer);
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    peer.disconnect();
    await t2.close();
    await t.close();
    await up.close();
    await redis.stop();
  });

  const callOn = (node: TestNode, token: string): Promise<number> =>
    fetch(`${node.url}/data`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });
  const call = (token: string): Promise<number> => callOn(t, token);

  /** Revokes a token through the first node; how long until the second refuses it (null: not within boundMs). */
  const revocationReachesSecond = async (boundMs: number): Promise<number | null> => {
    const tok = await t.tokenFor('admin', { description: `revoked ${Date.now()}` });
    assert.equal(await callOn(t2, tok.token), 200);
    await t.node.ctx.tokens.revoke(CLI_PRINCIPAL, cli, tok.id, true);
    const done = performance.now();
    while (performance.now() - done <= boundMs) {
      if ((await callOn(t2, tok.token)) !== 200) return performance.now() - done;
      await sleep(10);
    }
    return null;
  };

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

  const warnings = async (text: string): Promise<string[]> => {
    await t.node.logs.flush();
    return t.lines.filter((l) => l.includes(' WARN ') && l.includes(text));
  };

  const limitedToken = async (
    requests: number,
    description: string,
  ): Promise<{ token: string; id: string }> =>
    t.tokenFor('admin', { description, rateLimit: { requests, windowSeconds: 60 } });

  /** Publishes a change as another node would, and says how long until this node's feed heard it (null: not within 1 s). */
  const heardByPubSub = async (ref: string): Promise<number | null> => {
    const sent = Date.now();
    await peer.publish(CHANNEL, JSON.stringify({ node: 'peer-node', kind: 'token', refs: [ref] }));
    const deadline = sent + 1_000;
    while (Date.now() < deadline) {
      const got = heard.find((h) => h.ref === ref);
      if (got) return got.at - sent;
      await sleep(5);
    }
    return null;
  };

  it('with Redis up, decisions are taken in Redis: what other nodes consumed counts here', async () => {
    assert.equal(await metric('tokengate_redis_up'), 1);
    const tok = await limitedToken(3, 'shared limit');
    // Two requests of this token already went through other nodes.
    for (let i = 0; i < 2; i++)
      assert.equal(
        (await peerLimits.consume(tok.id, { requests: 3, windowMs: 60_000 }, Date.now())).allowed,
        true,
      );
    assert.deepEqual([await call(tok.token), await call(tok.token)], [200, 429]);
    assert.ok((await peer.exists(RL_PREFIX + tok.id)) === 1, 'the decision state lives in Redis');
    assert.equal(await metric('tokengate_ratelimit_fallback_total'), 0);
    const ms = await heardByPubSub('tok_pubsub_before_outage');
    assert.ok(ms !== null, 'a change published by another node reaches this node through Redis');
    // Two real nodes share the limit.
    const shared = await limitedToken(2, 'shared by two nodes');
    assert.deepEqual(
      [await callOn(t, shared.token), await callOn(t2, shared.token), await callOn(t2, shared.token)],
      [200, 200, 429],
    );
    const revoked = await revocationReachesSecond(PROPAGATION_BOUND_MS);
    assert.ok(
      revoked !== null,
      `a revocation did not reach the second node within ${PROPAGATION_BOUND_MS} ms`,
    );
    console.log(
      `  with Redis up: pub/sub delivery ${ms} ms; a revocation refused on the second node after ${revoked.toFixed(1)} ms`,
    );
  });

  it('while Redis is down, authentication works and limits fall back to this node, with one warning and the metrics', async () => {
    const unlimited = await t.tokenFor('admin', { description: 'no own limit' });
    const limited = await limitedToken(3, 'limited during the outage');
    const fallbackBefore = await metric('tokengate_ratelimit_fallback_total');
    await redis.stop();
    const down = Date.now();

    // Authentication comes from the database (these tokens were never used, so nothing is cached).
    assert.equal(await call(unlimited.token), 200);
    // The token's own limit of 3 still holds, counted by this node's memory store.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await call(limited.token));
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    console.log(`  first decisions after Redis stopped took ${Date.now() - down} ms in all`);

    assert.equal(await metric('tokengate_redis_up'), 0);
    const fallbackNow = await metric('tokengate_ratelimit_fallback_total');
    assert.ok(
      fallbackNow - fallbackBefore >= 4,
      `fallback decisions counted: ${fallbackBefore} -> ${fallbackNow}`,
    );
    assert.equal((await warnings(UNREACHABLE)).length, 1, 'one warning when Redis went away');

    // Past the retry pause the node tries Redis again, fails again, and still warns only once.
    await sleep(RETRY_AFTER_FAILURE_MS + 300);
    const more = await limitedToken(2, 'limited after the retry pause');
    assert.deepEqual(
      [await call(more.token), await call(more.token), await call(more.token)],
      [200, 200, 429],
    );
    assert.ok((await metric('tokengate_ratelimit_fallback_total')) >= fallbackNow + 3);
    assert.equal((await warnings(UNREACHABLE)).length, 1, 'still one warning after retrying');
    assert.equal(await metric('tokengate_redis_up'), 0);
    // Per node: each node allows the token's limit on its own (the documented trade-off).
    const perNode = await limitedToken(2, 'per node during the outage');
    assert.deepEqual(
      [await callOn(t, perNode.token), await callOn(t, perNode.token), await callOn(t, perNode.token)],
      [200, 200, 429],
    );
    assert.deepEqual([await callOn(t2, perNode.token), await callOn(t2, perNode.token)], [200, 200]);
    // Changes still reach the other node, by the database poll (changePollMs, 1 s by default).
    const pollBound = t2.node.ctx.config.changePollMs + POLL_SLACK_MS;
    const revoked = await revocationReachesSecond(pollBound);
    assert.ok(revoked !== null, `a revocation did not reach the second node within ${pollBound} ms`);
    console.log(`  with Redis down: a revocation refused on the second node after ${revoked.toFixed(0)} ms`);
    // The management API is unaffected too.
    const me = await fetch(`${t.adminUrl}/_tokengate/api/v1/me`, {
      headers: { authorization: `Bearer ${adminRead}` },
    });
    assert.equal(me.status, 200);
  });

  it('after Redis returns, the node uses it again by itself: cluster-wide decisions and pub/sub', async () => {
    await redis.start();
    const back = Date.now();
    const probe = await limitedToken(1_000, 'recovery probe');
    let recoveredAfter: number | null = null;
    while (Date.now() - back < RECOVERY_BOUND_MS) {
      assert.equal(await call(probe.token), 200);
      if ((await metric('tokengate_redis_up')) === 1) {
        recoveredAfter = Date.now() - back;
        break;
      }
      await sleep(100);
    }
    assert.ok(
      recoveredAfter !== null,
      `tokengate_redis_up did not return to 1 within ${RECOVERY_BOUND_MS} ms`,
    );
    console.log(`  rate limits back in Redis ${recoveredAfter} ms after it restarted`);
    assert.equal((await warnings('Redis answers again')).length, 1, 'one warning when Redis is back');

    // Cluster-wide again: what other nodes consumed in Redis counts here.
    const tok = await limitedToken(2, 'shared limit after recovery');
    for (let i = 0; i < 2; i++)
      assert.equal(
        (await peerLimits.consume(tok.id, { requests: 2, windowMs: 60_000 }, Date.now())).allowed,
        true,
      );
    assert.equal(await call(tok.token), 429);
    // The second node is back on Redis too (it retries at its next decision): the two share limits again.
    const probe2 = await limitedToken(1_000, 'recovery probe, second node');
    const deadline2 = Date.now() + RECOVERY_BOUND_MS;
    while (Date.now() < deadline2 && (await peer.exists(RL_PREFIX + probe2.id)) === 0) {
      assert.equal(await callOn(t2, probe2.token), 200);
      if ((await peer.exists(RL_PREFIX + probe2.id)) === 0) await sleep(100);
    }
    const sharedAgain = await limitedToken(2, 'shared again by two nodes');
    assert.deepEqual(
      [
        await callOn(t2, sharedAgain.token),
        await callOn(t, sharedAgain.token),
        await callOn(t2, sharedAgain.token),
      ],
      [200, 200, 429],
    );
    const fallback = await metric('tokengate_ratelimit_fallback_total');
    assert.equal(await call(probe.token), 200);
    assert.equal(await metric('tokengate_ratelimit_fallback_total'), fallback, 'no more per-node decisions');

    // The subscriber connection came back and subscribed again.
    let ms: number | null = null;
    for (let i = 0; i < 10 && ms === null; i++) ms = await heardByPubSub(`tok_pubsub_after_outage_${i}`);
    assert.ok(ms !== null, 'changes from other nodes arrive by pub/sub again');
    console.log(`  pub/sub delivery after recovery: ${ms} ms`);
  });

  describe('a node started while Redis is down', () => {
    let late: TestNode;
    let lateTok: { token: string; id: string };
    const lateHeard: string[] = [];
    const lateMetric = async (name: string): Promise<number> => {
      const m = await late.node.runtime.metrics.registry.getSingleMetric(name)?.get();
      return m?.values[0]?.value ?? Number.NaN;
    };
    const lateCall = async (token: string): Promise<number> => {
      const r = await fetch(`${late.url}/data`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      return r.status;
    };

    before(async () => {
      await redis.stop();
      late = await startTestNode(up.url, (c) => {
        c.redis = redis.url;
        c.nodeId = 'late-node';
      });
      closers.push(() => late.close());
      late.node.ctx.feed.subscribe((c) => lateHeard.push(c.ref));
      assert.equal(await lateMetric('tokengate_redis_up'), 0, 'the node says Redis is down from the start');
      // Authentication works without Redis from the start (a token without a limit: no decision yet).
      const plain = await late.tokenFor('admin', { description: 'late, no limit' });
      assert.equal(await lateCall(plain.token), 200);
      lateTok = await late.tokenFor('admin', {
        description: 'late probe',
        rateLimit: { requests: 1_000, windowSeconds: 60 },
      });
      await redis.start();
      // Give the node's connections time to come back (ioredis retries at most every 2 s), so the
      // first decision below is the first thing the rate limiter sees of Redis.
      await sleep(RECONNECT_MS);
    });

    it('takes its rate-limit decisions in Redis once Redis is there', async () => {
      const back = Date.now();
      let inRedis = false;
      while (!inRedis && Date.now() - back < RECOVERY_BOUND_MS) {
        assert.equal(await lateCall(lateTok.token), 200);
        inRedis = (await peer.exists(RL_PREFIX + lateTok.id).catch(() => 0)) === 1;
        if (!inRedis) await sleep(100);
      }
      assert.ok(inRedis, `decisions did not move to Redis within ${RECOVERY_BOUND_MS} ms`);
      console.log(`  late node's decisions in Redis ${Date.now() - back} ms after its first request`);
    });

    it('reports tokengate_redis_up 1 once its decisions are in Redis', async () => {
      assert.equal((await peer.exists(RL_PREFIX + lateTok.id)) === 1, true);
      assert.equal(await lateMetric('tokengate_redis_up'), 1);
    });

    it('hears changes from other nodes by pub/sub once Redis is there', async () => {
      let received = false;
      const deadline = Date.now() + 3_000;
      for (let i = 0; !received && Date.now() < deadline; i++) {
        const ref = `tok_late_${i}`;
        await peer.publish(CHANNEL, JSON.stringify({ node: 'peer-node', kind: 'token', refs: [ref] }));
        await sleep(200);
        received = lateHeard.includes(ref);
      }
      assert.ok(received, 'a node that started without Redis subscribes to changes once Redis is there');
      const ms = await (async (): Promise<number | null> => {
        const ref = 'tok_late_timed';
        const sent = performance.now();
        await peer.publish(CHANNEL, JSON.stringify({ node: 'peer-node', kind: 'token', refs: [ref] }));
        while (performance.now() - sent <= PROPAGATION_BOUND_MS) {
          if (lateHeard.includes(ref)) return performance.now() - sent;
          await sleep(2);
        }
        return null;
      })();
      assert.ok(ms !== null, `a change did not reach the late node within ${PROPAGATION_BOUND_MS} ms`);
      console.log(`  late node: pub/sub delivery ${ms.toFixed(1)} ms`);
    });
  });
});
