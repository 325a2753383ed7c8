import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { hashToken } from '../src/domain/token/hash.js';
import { PG_URL, testDatabases } from './support/databases.js';
import { cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { TcpRelay } from './support/tcp-relay.js';

/**
 * A slow audit database (docs/audit.md, "Selectable events: a bounded queue"; docs/security.md).
 * The node's PostgreSQL connections go through a relay that the test pauses: every write, the audit
 * queue's included, hangs with its connection open. Meanwhile:
 *
 * - requests with a cached token are all answered 200: none waits for the audit write;
 * - the queue fills up to `audit.queueSize` and then drops the newest events (the ones already
 *   queued are older and keep the log in order), counted in `tokengate_audit_events_dropped_total`
 *   (read from GET /_tokengate/metrics as an admin) and logged;
 * - once the database answers again the queue drains by itself: the events kept are exactly the
 *   oldest ones, in order, and the hash chain verifies.
 */

const QUEUE_SIZE = 100;
/** Requests sent while the database hangs: several times the queue. */
const REQUESTS = 400;
const HANG_MS = 30_000;
const RECOVERY_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const pgDb = (await testDatabases()).find((d) => d.name === 'postgres');

describe(
  'a slow audit database: PostgreSQL hangs while authentication events are recorded',
  { skip: pgDb?.skip ?? 'PostgreSQL not wanted (TOKENGATE_TEST_DBS)' },
  () => {
    const schema = `tg_faults_${randomBytes(5).toString('hex')}`;
    let relay: TcpRelay;
    let up: Awaited<ReturnType<typeof startEchoUpstream>>;
    let t: TestNode;
    let token: string;
    /** An admin's read token, to scrape the metrics as Prometheus would. */
    let scraper: string;

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
      const sep = relayed.search ? '&' : '?';
      up = await startEchoUpstream();
      t = await startTestNode(up.url, (c) => {
        c.db = `${relayed.toString()}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        c.audit.queueSize = QUEUE_SIZE;
      });
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice' });
      token = (await t.tokenFor('alice', { description: 'busy client' })).token;
      scraper = (await t.tokenFor('admin', { description: 'metrics', scope: 'read' })).token;
      await t.settings({ 'audit.events.authSuccess': true });
      // Both tokens warm: while the database hangs, only the cache can authenticate.
      const { cache } = t.node.ctx;
      const warm = (): boolean =>
        [token, scraper].every((s) => cache.warmToken(hashToken(s), Date.now()) !== undefined) &&
        ['alice', 'admin'].every((u) => cache.warmUser(u, Date.now()) !== undefined);
      for (let i = 0; i < 50 && !warm(); i++) {
        assert.equal((await call('/warm', token)).status, 200);
        assert.equal((await metrics()).status, 200);
        if (!warm()) await sleep(100);
      }
      assert.ok(warm(), 'the tokens were not cached');
      const drained = Date.now();
      while (t.node.runtime.auditQueue.size > 0 && Date.now() - drained < RECOVERY_MS) await sleep(50);
    });

    after(async () => {
      relay.resume();
      await t.close();
      await up.close();
      await relay.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    });

    const call = (path: string, secret: string, requestId?: string): Promise<Response> =>
      fetch(`${t.url}${path}`, {
        headers: { authorization: `Bearer ${secret}`, ...(requestId ? { 'x-request-id': requestId } : {}) },
        signal: AbortSignal.timeout(HANG_MS),
      }).then(async (r) => {
        await r.arrayBuffer();
        return r;
      });

    const metrics = async (): Promise<{ status: number; text: string }> => {
      const r = await fetch(`${t.adminUrl}/_tokengate/metrics`, {
        headers: { authorization: `Bearer ${scraper}` },
        signal: AbortSignal.timeout(HANG_MS),
      });
      return { status: r.status, text: await r.text() };
    };
    // Read in process: a scrape over HTTP authenticates, and its own auth.success event would join the queue.
    const metric = async (name: string): Promise<number> => {
      const text = await t.node.runtime.metrics.registry.metrics();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
      assert.ok(line !== undefined, `${name} is not among the metrics`);
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    };

    const sent: string[] = [];
    let droppedBefore = 0;

    it('requests are answered while the audit write hangs; the full queue drops the newest, counted', async () => {
      droppedBefore = await metric('tokengate_audit_events_dropped_total');
      relay.pause();
      const statuses = new Map<number, number>();
      for (let i = 0; i < REQUESTS; i++) {
        const id = `slow-audit-${String(i).padStart(4, '0')}`;
        sent.push(id);
        const { status } = await call(`/data/${i}`, token, id);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
      assert.deepEqual(Object.fromEntries(statuses), { 200: REQUESTS });
      assert.ok(relay.heldBytes > 0, 'the database was not written to while paused');
      assert.equal(t.node.runtime.auditQueue.size, QUEUE_SIZE, 'the queue is not full');
      const dropped = (await metric('tokengate_audit_events_dropped_total')) - droppedBefore;
      // At most one queue's worth is in the hung flush, and one more waits in the queue.
      assert.ok(
        dropped >= REQUESTS - 2 * QUEUE_SIZE && dropped <= REQUESTS - QUEUE_SIZE,
        `dropped ${dropped} of ${REQUESTS} with a queue of ${QUEUE_SIZE}`,
      );
      await t.node.logs.flush();
      assert.ok(
        t.lines.some((l) => l.includes(' WARN ') && l.includes(`audit queue full (${QUEUE_SIZE} events)`)),
        'no warning says the queue is full',
      );
    });

    it('once the database answers again the queue drains by itself: the oldest events, in order', async () => {
      relay.resume();
      const back = Date.now();
      while (t.node.runtime.auditQueue.size > 0 && Date.now() - back < RECOVERY_MS) await sleep(50);
      assert.equal(t.node.runtime.auditQueue.size, 0, 'the queue did not drain');
      const dropped = (await metric('tokengate_audit_events_dropped_total')) - droppedBefore;
      // An empty queue may still have its last batch on the way to the database.
      const recorded = async (): Promise<Array<string | null>> =>
        (
          await t.node.ctx.database.db
            .selectFrom('audit_log')
            .select('request_id')
            .where('action', '=', 'auth.success')
            .where('request_id', 'like', 'slow-audit-%')
            .orderBy('seq')
            .execute()
        ).map((r) => r.request_id);
      const kept = REQUESTS - dropped;
      while ((await recorded()).length < kept && Date.now() - back < RECOVERY_MS) await sleep(50);
      // The oldest events are kept, in order. A flush that takes its batch out of a full queue makes
      // room again, so after the first QUEUE_SIZE the kept events need not be one unbroken run: the
      // queue drops the newest at each moment it is full, and keeps the send order.
      const got = await recorded();
      assert.equal(got.length, kept, 'as many events kept as were not dropped');
      assert.deepEqual(got.slice(0, QUEUE_SIZE), sent.slice(0, QUEUE_SIZE), 'not the oldest events');
      const at = got.map((id) => sent.indexOf(id ?? ''));
      assert.ok(
        at.every((i, n) => i >= 0 && (n === 0 || i > (at[n - 1] ?? -1))),
        'not in the order they were sent',
      );
      const verify = await fetch(`${t.adminUrl}/_tokengate/api/v1/admin/audit/verify`, {
        headers: { authorization: `Basic ${Buffer.from('admin:admin-password-1').toString('base64')}` },
      });
      const body = (await verify.json()) as { ok: boolean };
      assert.equal(verify.status, 200);
      assert.equal(body.ok, true, JSON.stringify(body));
    });
  },
);
