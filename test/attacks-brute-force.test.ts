import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RedisFailureCounter } from '../src/cluster/redis-brute-force.js';
import { loadConfig } from '../src/config/config.js';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { checksum } from '../src/domain/token/format.js';
import { createTokengate } from '../src/middleware/index.js';
import { startNode, type RunningNode } from '../src/node.js';
import { PG_URL, testDatabases } from './support/databases.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { requireRedis } from './support/redis.js';

/**
 * Brute force, end to end: failed token and password checks from one client IP, or naming one user,
 * lead to a temporary block (429 + Retry-After) through the proxy, forward-auth, the middleware, the
 * management API and the web UI sign-in; the block is logged and audited once, expires, never hits a
 * trusted proxy itself, never locks a user's tokens, and is shared by two nodes through Redis.
 */

/** A token-shaped secret (valid checksum) that matches no token: a guess. */
function forged(): string {
  const body = randomBytes(30)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 30);
  return `tgp_${body}${checksum(body)}`;
}

/** A client address of its own for each test (benchmarking range 198.18.0.0/15), so tests never share counts. */
let nextIp = randomBytes(1)[0] ?? 0;
function clientIp(): string {
  nextIp++;
  return `198.18.${nextIp & 255}.${(nextIp >> 8) + 1}`;
}

const bearer = (token: string): string => `Bearer ${token}`;

async function until<T>(what: string, probe: () => Promise<T | null | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function blockRecords(node: RunningNode, value: string): Promise<AuditRecord[]> {
  await node.runtime.auditQueue.flush();
  const rows = await node.ctx.store.audit.search({ action: 'security.blocked' }, 1000);
  return rows.filter((r) => (r.details as { blocked?: string } | null)?.blocked === value);
}

describe('brute force: one node', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let alice: string;
  let mark = 0;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
      username: 'alice',
      groups: ['admin'],
      password: 'alice-password-1',
    });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'bob', password: 'bob-password-12' });
    alice = (await t.tokenFor('alice')).token;
    // 127.0.0.1 (this test) is the trusted proxy; X-Forwarded-For names the client.
    await t.settings({
      'auth.trustedProxies': ['127.0.0.1'],
      'bruteForce.ipMaxFailures': 3,
      'bruteForce.userMaxFailures': 4,
      'bruteForce.windowSeconds': 60,
      'bruteForce.blockSeconds': 600,
    });
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  const get = (ip: string | null, auth?: string, path = '/rest/x') =>
    fetch(`${t.url}${path}`, {
      headers: { ...(ip ? { 'x-forwarded-for': ip } : {}), ...(auth ? { authorization: auth } : {}) },
    });

  it('blocks a client IP after repeated failed tokens, with 429 and Retry-After, before any lookup', async () => {
    const ip = clientIp();
    mark = t.lines.length;
    for (let i = 0; i < 3; i++) assert.equal((await get(ip, bearer(forged()))).status, 401);
    const seenBefore = up.seen.length;
    // Count every token lookup from here on: a blocked request must make none.
    const cache = t.node.ctx.cache;
    let lookups = 0;
    const warm = cache.warmToken.bind(cache);
    const cold = cache.token.bind(cache);
    cache.warmToken = (h, n) => (lookups++, warm(h, n));
    cache.token = (h, n) => (lookups++, cold(h, n));
    try {
      const r = await get(ip, bearer(alice));
      assert.equal(r.status, 429, 'even a valid token is refused from a blocked IP');
      const retry = Number(r.headers.get('retry-after'));
      assert.ok(retry > 590 && retry <= 600, `Retry-After ${retry}`);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'rate_limited');
      assert.match(
        body.error.message,
        new RegExp(`Too many failed authentication attempts from IP address ${ip.replaceAll('.', '\\.')}`),
      );
      assert.equal(lookups, 0, 'no token lookup for a blocked client');
      assert.equal(up.seen.length, seenBefore, 'nothing reached the upstream');
    } finally {
      cache.warmToken = warm;
      cache.token = cold;
    }
    // Another client is not affected; the blocked one may still make anonymous requests.
    assert.equal((await get(clientIp(), bearer(alice))).status, 200);
    assert.equal((await get(ip)).status, 200);

    // Logged once, at WARN (the default level of the auth logger), with the client IP.
    const lines = t.lines.slice(mark).filter((l) => l.includes('has been blocked'));
    assert.equal(lines.length, 1, lines.join(''));
    assert.match(
      lines[0] ?? '',
      new RegExp(
        ` WARN anonymous \\S+ - ${ip.replaceAll('.', '\\.')} /rest/x \\[auth\\] Client IP address ${ip.replaceAll('.', '\\.')} has been blocked for 10 minutes after 3 failed authentication attempts within 1 minute\\. Requests with credentials from it are refused until then\\.`,
      ),
    );
    // Audited once, always on (all audit.events.* are off), with both IPs.
    const records = await until('the audit record', async () => {
      const r = await blockRecords(t.node, ip);
      return r.length > 0 ? r : null;
    });
    assert.equal(records.length, 1);
    const rec = records[0];
    assert.equal(rec?.category, 'authentication');
    assert.equal(rec?.author, '@system');
    assert.equal(rec?.outcome, 'blocked');
    assert.equal(rec?.sourceIp, ip);
    assert.equal(rec?.proxyIp, '127.0.0.1');
    assert.equal(rec?.endpoint, '/rest/x');
    assert.deepEqual(
      { ...(rec?.details ?? {}), until: undefined },
      { subject: 'ip', blocked: ip, maxFailures: 3, windowSeconds: 60, blockSeconds: 600, until: undefined },
    );
  });

  it('does not count anything but guesses: revoked tokens, passwords passed on, malformed headers', async () => {
    const ip = clientIp();
    const revoked = await t.tokenFor('alice', { description: 'to revoke' });
    await t.node.ctx.tokens.revoke(CLI_PRINCIPAL, cli, revoked.id, true);
    for (let i = 0; i < 5; i++) {
      assert.equal((await get(ip, bearer(revoked.token))).status, 401);
      assert.equal((await get(ip, 'Basic !!!')).status, 401);
      assert.equal((await get(ip, basicAuth('alice', 'upstream-password'))).status, 200);
    }
    assert.equal((await get(ip, bearer(alice))).status, 200);
  });

  it('never blocks the trusted proxy itself, however often requests without X-Forwarded-For fail', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await get(null, bearer(forged()))).status, 401);
    assert.equal((await get(null, bearer(alice))).status, 200);
  });

  it('blocks through forward-auth too, from the client IP the trusted proxy names', async () => {
    const ip = clientIp();
    const fa = (auth: string) =>
      fetch(`${t.url}/_tokengate/auth`, {
        headers: {
          authorization: auth,
          'x-forwarded-for': ip,
          'x-original-uri': '/app',
          'x-original-method': 'GET',
        },
      });
    for (let i = 0; i < 3; i++) assert.equal((await fa(bearer(forged()))).status, 401);
    const r = await fa(bearer(alice));
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    // The same block holds at the gateway: one tracker per node.
    assert.equal((await get(ip, bearer(alice))).status, 429);
  });

  it("blocks password sign-in for a user named in failed attempts from one IP, from that IP only, never the user's tokens", async () => {
    // Basic user:wrong-token from four different IPs (each far under its own limit) blocks nobody.
    for (let i = 0; i < 4; i++)
      assert.equal((await get(clientIp(), basicAuth('alice', forged()))).status, 401);
    // Two failures naming alice from one IP (under the IP limit of 3) with the user limit at 2.
    await t.settings({ 'bruteForce.userMaxFailures': 2 });
    const ip = clientIp();
    for (let i = 0; i < 2; i++) assert.equal((await get(ip, basicAuth('alice', forged()))).status, 401);
    const verify = t.node.ctx.users.verifyPassword.bind(t.node.ctx.users);
    let hashed = 0;
    t.node.ctx.users.verifyPassword = (u, p) => (hashed++, verify(u, p));
    try {
      const api = await fetch(`${t.adminUrl}/_tokengate/api/v1/me`, {
        headers: { authorization: basicAuth('alice', 'alice-password-1'), 'x-forwarded-for': ip },
      });
      assert.equal(api.status, 429);
      const body = (await api.json()) as { error: { code: string; details: { retryAfterSeconds: number } } };
      assert.equal(body.error.code, 'rate_limited');
      assert.ok(body.error.details.retryAfterSeconds > 0);
      // The web UI sign-in likewise, with Retry-After.
      const ui = await fetch(`${t.adminUrl}/_tokengate/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username: 'alice', password: 'alice-password-1' }),
      });
      assert.equal(ui.status, 429);
      assert.ok(Number(ui.headers.get('retry-after')) > 0);
      assert.equal(hashed, 0, 'no password was hashed for a blocked user');
    } finally {
      t.node.ctx.users.verifyPassword = verify;
      await t.settings({ 'bruteForce.userMaxFailures': 4 });
    }
    // Her password still works from any other client: one client cannot lock her out.
    const elsewhere = await fetch(`${t.adminUrl}/_tokengate/api/v1/me`, {
      headers: { authorization: basicAuth('alice', 'alice-password-1'), 'x-forwarded-for': clientIp() },
    });
    assert.equal(elsewhere.status, 200);
    // Her tokens keep working everywhere: Bearer and Basic alice:token, at the gateway and the API.
    assert.equal((await get(clientIp(), bearer(alice))).status, 200);
    assert.equal((await get(clientIp(), basicAuth('alice', alice))).status, 200);
    const me = await fetch(`${t.adminUrl}/_tokengate/api/v1/me`, {
      headers: { authorization: bearer(alice) },
    });
    assert.equal(me.status, 200);
    // Another user's password is not affected.
    const bob = await fetch(`${t.adminUrl}/_tokengate/api/v1/me`, {
      headers: { authorization: basicAuth('bob', 'bob-password-12'), 'x-forwarded-for': clientIp() },
    });
    assert.equal(bob.status, 200);
    const records = await until('the user block record', async () => {
      const r = await blockRecords(t.node, 'alice');
      return r.length > 0 ? r : null;
    });
    assert.equal(records[0]?.affectedUser, 'alice');
    assert.equal((records[0]?.details as { subject: string }).subject, 'user');
  });

  it('blocks an IP that guesses passwords at the management API and the UI sign-in', async () => {
    const ip = clientIp();
    const signIn = (password: string) =>
      fetch(`${t.adminUrl}/_tokengate/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username: 'bob', password }),
      });
    assert.equal((await signIn('guess-number-1')).status, 401);
    const api = (auth: string) =>
      fetch(`${t.adminUrl}/_tokengate/api/v1/me`, {
        headers: { authorization: auth, 'x-forwarded-for': ip },
      });
    assert.equal((await api(basicAuth('nobody', 'guess-number-2'))).status, 401);
    assert.equal((await api(bearer(forged()))).status, 401);
    // Three failures from this IP: blocked for tokens and passwords alike, right or wrong.
    assert.equal((await api(bearer(alice))).status, 429);
    assert.equal((await signIn('bob-password-12')).status, 429);
    assert.equal((await get(ip, bearer(alice))).status, 429);
  });

  it('lets the block expire after bruteForce.blockSeconds', async () => {
    await t.settings({ 'bruteForce.blockSeconds': 1 });
    try {
      const ip = clientIp();
      for (let i = 0; i < 3; i++) assert.equal((await get(ip, bearer(forged()))).status, 401);
      const blocked = await get(ip, bearer(alice));
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers.get('retry-after'), '1');
      const status = await until('the block to expire', async () => {
        const s = (await get(ip, bearer(alice))).status;
        return s === 429 ? null : s;
      });
      assert.equal(status, 200);
    } finally {
      await t.settings({ 'bruteForce.blockSeconds': 600 });
    }
  });

  it('applies no block while bruteForce.enabled is off', async () => {
    const ip = clientIp();
    for (let i = 0; i < 3; i++) await get(ip, bearer(forged()));
    assert.equal((await get(ip, bearer(alice))).status, 429);
    await t.settings({ 'bruteForce.enabled': false });
    try {
      assert.equal((await get(ip, bearer(alice))).status, 200);
    } finally {
      await t.settings({ 'bruteForce.enabled': true });
    }
  });
});

describe('brute force: the embedded middleware', () => {
  it('blocks through authenticate() like the gateway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-bf-mw-'));
    const tg = await createTokengate({ dataDir: dir, nodeId: 'bf-app', show: () => undefined });
    try {
      const { ctx } = tg.runtime;
      await ctx.users.create(CLI_PRINCIPAL, cli, { username: 'carol' });
      const good = (await ctx.tokens.create(CLI_PRINCIPAL, cli, 'carol', { description: 'mw' })).token;
      await ctx.settings.update(CLI_PRINCIPAL, cli, { 'bruteForce.ipMaxFailures': 2 });
      const req = (auth: string) => ({
        method: 'GET',
        url: '/x',
        headers: { authorization: auth },
        socket: { remoteAddress: '192.0.2.44' },
      });
      assert.equal((await tg.authenticate(req(bearer(forged())))).status, 401);
      assert.equal((await tg.authenticate(req(bearer(forged())))).status, 401);
      const r = await tg.authenticate(req(bearer(good)));
      assert.equal(r.allowed, false);
      assert.equal(r.status, 429);
      assert.equal(r.outcome.kind, 'blocked');
      const other = await tg.authenticate({ ...req(bearer(good)), socket: { remoteAddress: '192.0.2.45' } });
      assert.equal(other.allowed, true);
    } finally {
      await tg.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('brute force: Redis down', () => {
  it('falls back to counting in this process, and still blocks', async () => {
    // A port nothing listens on: every command fails at once.
    const redis = new Redis('redis://127.0.0.1:1/0', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    const states: boolean[] = [];
    const counter = new RedisFailureCounter(redis, { onStateChange: (h) => states.push(h) });
    const rule = { maxFailures: 2, windowMs: 60_000, blockMs: 5_000 };
    try {
      assert.deepEqual(await counter.fail('ip:192.0.2.1', rule, 1_000), { blockedMs: 0, started: false });
      assert.deepEqual(await counter.fail('ip:192.0.2.1', rule, 1_001), { blockedMs: 5_000, started: true });
      assert.deepEqual(states, [false], 'one state change while Redis is away');
    } finally {
      redis.disconnect();
    }
  });
});

const pgDb = (await testDatabases()).find((d) => d.name === 'postgres');
const redisNeed = await requireRedis();
const clusterSkip =
  'skip' in redisNeed ? redisNeed.skip : (pgDb?.skip ?? 'PostgreSQL not wanted (TOKENGATE_TEST_DBS)');

describe('brute force: two nodes share blocks through Redis', { skip: clusterSkip }, () => {
  const schema = `tg_bf_${randomBytes(5).toString('hex')}`;
  const dbUrl = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
  const prefix = `tokengate:bf:`;
  let a: RunningNode;
  let b: RunningNode;
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let good: string;
  const dirs: string[] = [];
  const ips: string[] = [];

  const node = async (id: string): Promise<RunningNode> => {
    const dir = mkdtempSync(join(tmpdir(), `tg-${id}-`));
    dirs.push(dir);
    const config = loadConfig(
      {
        db: dbUrl,
        dataDir: dir,
        port: 0,
        host: '127.0.0.1',
        nodeId: id,
        upstream: up.url,
        redis: 'url' in redisNeed ? redisNeed.url : '',
      },
      { TOKENGATE_ADMIN_PASSWORD: 'admin-password-1' },
    );
    config.log.console = false;
    return startNode(config, { show: () => undefined, defaultMetrics: false });
  };

  before(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    up = await startEchoUpstream();
    a = await node('bf-a');
    b = await node('bf-b');
    await a.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'dora' });
    good = (await a.ctx.tokens.create(CLI_PRINCIPAL, cli, 'dora', { description: 'dora' })).token;
    await a.ctx.settings.update(CLI_PRINCIPAL, cli, {
      'auth.trustedProxies': ['127.0.0.1'],
      'bruteForce.ipMaxFailures': 3,
    });
    // B reads the settings through the change feed (Redis): wait until it trusts 127.0.0.1.
    await until('node B to have the settings', async () =>
      b.ctx.settings.current['bruteForce.ipMaxFailures'] === 3 ? true : null,
    );
  });
  after(async () => {
    await a.close();
    await b.close();
    await up.close();
    const r = new Redis('url' in redisNeed ? redisNeed.url : '');
    for (const ip of ips) await r.del(`${prefix}n:ip:${ip}`, `${prefix}b:ip:${ip}`);
    r.disconnect();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  });

  const use = (n: RunningNode, ip: string, token: string) =>
    fetch(`${n.server.url}/x`, { headers: { authorization: bearer(token), 'x-forwarded-for': ip } }).then(
      (r) => r.status,
    );

  it('counts failures on both nodes together and blocks on both', async () => {
    const ip = clientIp();
    ips.push(ip);
    assert.equal(await use(a, ip, forged()), 401);
    assert.equal(await use(b, ip, forged()), 401);
    assert.equal(await use(a, ip, good), 200, 'two failures in all: not yet blocked');
    assert.equal(await use(b, ip, forged()), 401); // the third, on B: the block starts there
    // B learns the block from Redis's answer to that count, in the background.
    assert.equal(
      await until('node B to refuse', async () => ((await use(b, ip, good)) === 429 ? 429 : null)),
      429,
    );
    // A hears of it through Redis pub/sub, without failing itself (valid tokens only from here on).
    assert.equal(
      await until('node A to refuse', async () => ((await use(a, ip, good)) === 429 ? 429 : null)),
      429,
    );
    // One audit record in the cluster, written by the node whose count crossed the limit.
    const records = await until('the audit record', async () => {
      await a.runtime.auditQueue.flush();
      const r = await blockRecords(b, ip);
      return r.length > 0 ? r : null;
    });
    assert.equal(records.length, 1);
    // Normally B's (its count came third), unless Redis ran A's count last under load.
    assert.ok(['bf-a', 'bf-b'].includes(records[0]?.nodeId ?? ''));
  });

  it('tells a node of a block it did not see happen', async () => {
    const ip = clientIp();
    ips.push(ip);
    for (let i = 0; i < 3; i++) assert.equal(await use(a, ip, forged()), 401);
    // A learns the block from Redis's answer to its third count, in the background.
    assert.equal(
      await until('node A to refuse', async () => ((await use(a, ip, good)) === 429 ? 429 : null)),
      429,
    );
    assert.equal(
      await until('node B to refuse', async () => ((await use(b, ip, good)) === 429 ? 429 : null)),
      429,
    );
  });
});
