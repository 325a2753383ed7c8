import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openApp, type AppContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { hashToken } from '../src/domain/token/hash.js';
import { silentLogger } from '../src/log/logger.js';
import { PG_URL, testDatabases } from './support/databases.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { TcpRelay } from './support/tcp-relay.js';

/**
 * The database goes away under a running node (docs/security.md, "Faults: what fails open or
 * closed"). PostgreSQL is "stopped" by cutting a TCP relay between the node and the shared server,
 * so every other suite keeps its database:
 *
 * - a token the node has not cached is refused with 503 and Retry-After (fail closed), and the log
 *   says why;
 * - a cached token keeps working until its cache entry's lifetime ends (`cache.ttlSeconds` after the
 *   node read it), then it is refused with 503 too;
 * - the management API answers 503 `unavailable`, never 500; the health check answers 503;
 * - when the database returns, everything recovers without a restart, and the change feed catches
 *   up with what other nodes changed meanwhile.
 */

const API = '/_tokengate/api/v1';
const ADMIN = basicAuth('admin', 'admin-password-1');
/** A short cache lifetime, so both sides of the bound fit in a test. */
const TTL_SECONDS = 8;
const CHANGE_POLL_MS = 200;
/** A request may take this long before the test calls it hung (a fault must be answered, not waited out). */
const HANG_MS = 30_000;
/** How long recovery may take once the database is back: the pool reconnects on the next query. */
const RECOVERY_MS = 20_000;
/** Past PostgreSQL's statement timeout (15 s) and the client-side query timeout above it. */
const HUNG_QUERY_MS = 60_000;
const UNAVAILABLE_LINE = '[proxy] authentication failed: the database is unavailable';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  retryAfter: string | null;
  code: string | null;
  body: string;
}

async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(HANG_MS), ...init });
  const body = await res.text();
  let code: string | null = null;
  try {
    code = (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    // not JSON
  }
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code, body };
}

const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

const pgDb = (await testDatabases()).find((d) => d.name === 'postgres');

/** Errors nobody handled: in a real node each would have ended the process. */
const crashes: unknown[] = [];
process.on('uncaughtException', (err) => crashes.push(err));

describe(
  'PostgreSQL stopped mid-run (a relay between the node and the server is cut)',
  { skip: pgDb?.skip ?? 'PostgreSQL not wanted (TOKENGATE_TEST_DBS)' },
  () => {
    const schema = `tg_faults_${randomBytes(5).toString('hex')}`;
    let relay: TcpRelay;
    let up: Awaited<ReturnType<typeof startEchoUpstream>>;
    let t: TestNode;
    /** Another process on the same database, reaching PostgreSQL directly: the rest of the cluster. */
    let other: AppContext;
    /** Token ids this node's change feed reported. */
    const heard: string[] = [];
    let cold: { token: string; id: string };
    let warm: { token: string; id: string };
    /** When the warm token's cache entries were read: not before `from`, not after `by`. */
    let warmRead = { from: 0, by: 0 };

    /** Uses a token until the node holds it and its owner in memory; says when they were read. */
    const warmUp = async (token: string, owner: string): Promise<{ from: number; by: number }> => {
      // A read that a change notice about the same record overtook (the feed reading back the
      // token's own creation, say) is served but not cached: try again.
      const { cache } = t.node.ctx;
      const cached = (): boolean =>
        cache.warmToken(hashToken(token), Date.now()) !== undefined &&
        cache.warmUser(owner, Date.now()) !== undefined;
      const from = Date.now();
      for (let i = 0; i < 50 && !cached(); i++) {
        assert.equal((await request(`${t.url}/data`, bearer(token))).status, 200);
        if (!cached()) await sleep(CHANGE_POLL_MS / 2);
      }
      assert.ok(cached(), 'the token and its owner were not cached');
      return { from, by: Date.now() };
    };

    const withSchema = (url: string): string =>
      `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

    before(async () => {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      const target = new URL(PG_URL);
      relay = await TcpRelay.start(target.hostname, Number(target.port || 5432));
      const relayed = new URL(PG_URL);
      relayed.hostname = '127.0.0.1';
      relayed.port = String(relay.port);
      up = await startEchoUpstream();
      t = await startTestNode(up.url, (c) => {
        c.db = withSchema(relayed.toString());
        c.cache.ttlSeconds = TTL_SECONDS;
        c.changePollMs = CHANGE_POLL_MS;
      });
      t.node.ctx.feed.subscribe((c) => heard.push(c.ref));
      other = await openApp(loadConfig({ db: withSchema(PG_URL), nodeId: 'other-node' }, {}), {
        log: silentLogger,
      });
      // Forward-auth believes X-Original-URI only from a trusted proxy: nginx, here the test.
      await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice' });
      cold = await t.tokenFor('alice', { description: 'never used before the outage' });
    });

    after(async () => {
      await relay.restore();
      await t.close();
      await other.close();
      await up.close();
      await relay.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    });

    it('before the outage: tokens work, through the relay', async () => {
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'bob' });
      warm = await t.tokenFor('bob', { description: 'warm when the database goes away' });
      warmRead = await warmUp(warm.token, 'bob');
      assert.ok(relay.open > 0, 'the node reaches PostgreSQL through the relay');
    });

    it('an uncached token is refused with 503 and Retry-After, and the log says why', async () => {
      // The server stops while the node is reading the token: the query is under way when its
      // connection is reset (pg then emits 'error' on a client the pool has lent out).
      relay.pause();
      const pending = request(`${t.url}/data`, bearer(cold.token));
      const held = Date.now();
      while (relay.heldBytes === 0 && Date.now() - held < HANG_MS) await sleep(10);
      assert.ok(relay.heldBytes > 0, 'the lookup never reached the relay');
      await relay.cut();
      const r = await pending;
      assert.equal(r.status, 503, r.body);
      await sleep(100);
      assert.deepEqual(crashes, [], 'a connection lost mid-query must not crash the node');
      assert.equal(r.code, 'unavailable');
      assert.equal(r.retryAfter, '5');
      assert.equal((await request(`${t.url}/data`, bearer(cold.token))).status, 503, 'nor once refused');
      // Forward-auth refuses it the same way: nginx must not let it through either.
      const fa = await request(`${t.url}/_tokengate/auth`, {
        headers: { authorization: `Bearer ${cold.token}`, 'x-original-uri': '/data' },
      });
      assert.equal(fa.status, 503, fa.body);
      assert.equal(fa.retryAfter, '5');
      await t.node.logs.flush();
      const why = t.lines.filter((l) => l.includes(UNAVAILABLE_LINE));
      assert.ok(why.length >= 1, `no log line says why:\n${t.lines.slice(-10).join('\n')}`);
      assert.match(why[0] ?? '', / ERROR /);
      assert.equal(up.seen.filter((s) => s.headers['x-tokengate-token-id'] === cold.id).length, 0);
    });

    it('a cached token is still served within its cache lifetime', async () => {
      assert.ok(
        Date.now() - warmRead.from < TTL_SECONDS * 1000 - 1_000,
        'the test itself took longer than the cache lifetime; cannot check this side of the bound',
      );
      assert.equal((await request(`${t.url}/data`, bearer(warm.token))).status, 200);
    });

    it('the management API answers 503 unavailable, never 500, and the health check 503', async () => {
      const calls: Array<[string, string, RequestInit]> = [
        ['GET', `${API}/me`, { headers: { authorization: ADMIN } }],
        ['GET', `${API}/tokens`, { headers: { authorization: ADMIN } }],
        [
          'POST',
          `${API}/tokens`,
          {
            method: 'POST',
            headers: { authorization: ADMIN, 'content-type': 'application/json' },
            body: JSON.stringify({ description: 'during the outage' }),
          },
        ],
        ['GET', `${API}/admin/users`, { headers: { authorization: ADMIN } }],
        ['GET', `${API}/audit`, { headers: { authorization: ADMIN } }],
        [
          'PATCH',
          `${API}/admin/settings`,
          {
            method: 'PATCH',
            headers: { authorization: ADMIN, 'content-type': 'application/json' },
            body: JSON.stringify({ 'rateLimit.enabled': true }),
          },
        ],
        ['GET', `${API}/me`, bearer(cold.token)],
      ];
      const got: string[] = [];
      for (const [method, path, init] of calls) {
        const r = await request(`${t.adminUrl}${path}`, init);
        got.push(`${method} ${path}: ${r.status} ${r.code ?? ''} retry-after=${r.retryAfter ?? '-'}`);
      }
      assert.deepEqual(
        got,
        calls.map(([method, path]) => `${method} ${path}: 503 unavailable retry-after=5`),
      );
      const health = await request(`${t.url}/_tokengate/health`);
      assert.equal(health.status, 503);
      assert.match(health.body, /"database":"unavailable"/);
    });

    it('past its lifetime a cached token is refused with 503 too: the bound is cache.ttlSeconds', async () => {
      // What the rest of the cluster does meanwhile cannot reach this node: revoke the warm token.
      await other.tokens.revoke(CLI_PRINCIPAL, cli, warm.id, true);
      const wait = warmRead.by + TTL_SECONDS * 1000 + 100 - Date.now();
      if (wait > 0) await sleep(wait);
      const r = await request(`${t.url}/data`, bearer(warm.token));
      assert.equal(r.status, 503, r.body);
      assert.equal(r.retryAfter, '5');
    });

    it('recovers by itself when the database returns: tokens, the API, the change feed', async () => {
      await relay.restore();
      const back = Date.now();
      let health = 0;
      while (Date.now() - back < RECOVERY_MS) {
        health = (await request(`${t.url}/_tokengate/health`)).status;
        if (health === 200) break;
        await sleep(100);
      }
      assert.equal(health, 200, `the health check did not recover within ${RECOVERY_MS} ms`);
      assert.equal((await request(`${t.url}/data`, bearer(cold.token))).status, 200);
      const me = await request(`${t.adminUrl}${API}/me`, { headers: { authorization: ADMIN } });
      assert.equal(me.status, 200, me.body);
      const created = await request(`${t.adminUrl}${API}/tokens`, {
        method: 'POST',
        headers: { authorization: ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ description: 'after the outage' }),
      });
      assert.equal(created.status, 201, created.body);
      // The revocation made elsewhere during the outage is read from the feed.
      const deadline = Date.now() + RECOVERY_MS;
      while (!heard.includes(warm.id) && Date.now() < deadline) await sleep(50);
      assert.ok(heard.includes(warm.id), 'the change feed did not catch up after the outage');
      assert.equal((await request(`${t.url}/data`, bearer(warm.token))).status, 401);
      // And it keeps following: a token warm now, revoked elsewhere, is refused well within its lifetime.
      const later = await t.tokenFor('alice', { description: 'warm after the outage' });
      const loaded = (await warmUp(later.token, 'alice')).from;
      await other.tokens.revoke(CLI_PRINCIPAL, cli, later.id, true);
      let status = 200;
      while (status === 200 && Date.now() - loaded < TTL_SECONDS * 1000 - 500) {
        status = (await request(`${t.url}/data`, bearer(later.token))).status;
        if (status === 200) await sleep(50);
      }
      assert.equal(
        status,
        401,
        'a revocation elsewhere was not learnt from the feed before the lifetime ran out',
      );
    });

    it('PostgreSQL hangs (no answer, no reset): an uncached token gets 503 after the query timeout, not a hung request', async () => {
      const token = (await t.tokenFor('alice', { description: 'first used while PostgreSQL hangs' })).token;
      relay.pause();
      let r: Answer;
      try {
        r = await request(`${t.url}/data`, { ...bearer(token), signal: AbortSignal.timeout(HUNG_QUERY_MS) });
      } finally {
        relay.resume();
      }
      assert.equal(r.status, 503, r.body);
      assert.equal(r.retryAfter, '5');
      // Answering again, the same connections serve again.
      const back = Date.now();
      let status = 0;
      while (status !== 200 && Date.now() - back < RECOVERY_MS) {
        status = (await request(`${t.url}/data`, bearer(token))).status;
        if (status !== 200) await sleep(100);
      }
      assert.equal(status, 200);
    });
  },
);
