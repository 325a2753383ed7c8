/**
 * Issue 14, findings 4 and 10: an administrator's token must not be able to erase the audit trail,
 * and `tokengate audit verify` must report a deleted chain head or a truncated tail. The first test
 * is the scenario end to end on a node (SQLite file, writer thread): an admin WRITE TOKEN
 * drives the management API, turns on authSuccess, sets audit.maxRows to 1000, sends 1,010 requests
 * through the gateway and restores the settings. The second tampers with the database directly.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { openApp } from '../src/app.js';
import { verifyAuditChain } from '../src/audit/verify.js';
import { loadConfig, type Config } from '../src/config/config.js';
import { auditEvent, type AuditEvent } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { silentLogger } from '../src/log/logger.js';
import { memorySink } from '../src/log/sinks.js';
import { startNode, type RunningNode } from '../src/node.js';
import { systemContext } from '../src/services/context.js';
import { API, bearer } from './support/harness.js';
import { inProcessCli } from './support/cli.js';
import { withSqlite } from './support/sqlite.js';

const ADMIN_PASSWORD = 'audit-tamper-admin-password';
const DAY = 86_400_000;
const cliCtx = systemContext('@cli');

/** Runs the CLI in this process against a data dir; returns the exit code and what it printed. */
const cli = inProcessCli(ADMIN_PASSWORD);

/** A month of history written before the node starts: the admin's creation and `count` old records. */
async function seedHistory(dataDir: string, at: number, count: number): Promise<void> {
  const ctx = await openApp(loadConfig({ dataDir }, { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }, 'cli'), {
    log: silentLogger,
    now: () => at,
  });
  try {
    const old: AuditEvent[] = Array.from({ length: count }, (_, i) =>
      auditEvent({ ...systemContext('erin'), sourceIp: '192.0.2.7' }, 'old-node', at + i, {
        category: 'authentication',
        action: 'auth.success',
        summary: `old request ${i}`,
      }),
    );
    await ctx.store.transaction((tx) => tx.audit.append(old));
  } finally {
    await ctx.close();
  }
}

/** Starts a whole node on a data dir of the test's own (startTestNode removes its dir on close). */
async function nodeOn(dataDir: string, configure: (c: Config) => void): Promise<RunningNode> {
  const config = loadConfig(
    { dataDir, port: 0, host: '127.0.0.1', nodeId: 'tamper-node' },
    { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD },
  );
  config.log.console = false;
  configure(config);
  return startNode(config, { show: () => undefined, sinks: [memorySink()], defaultMetrics: false });
}

describe('an admin token cannot erase the audit trail (issue 14, finding 4)', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tg-audit-tamper-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the backdoor user and the maxRows change past a maxRows=1000 purge, and verify reports the purge', async () => {
    const dir = join(root, 'scenario');
    const now = Date.now();
    await seedHistory(dir, now - 30 * DAY, 1200);
    const node = await nodeOn(dir, (c) => {
      Object.assign(c.audit, { retentionFloorDays: 7 });
    });
    try {
      const { token } = await node.ctx.tokens.create(CLI_PRINCIPAL, cliCtx, 'admin', {
        description: 'admin automation',
        scope: 'write',
      });
      const auth = bearer(token);
      const api = (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) =>
        node.server.api.inject({ method, url: `${API}${url}`, headers: { authorization: auth }, payload });

      const created = await api('POST', '/admin/users', { username: 'backdoor', groups: ['admin'] });
      assert.equal(created.statusCode, 201, created.body);
      const set = await api('PATCH', '/admin/settings', {
        'audit.events.authSuccess': true,
        'audit.maxRows': 1000,
      });
      assert.equal(set.statusCode, 200, set.body);
      for (let i = 0; i < 1010; i += 10) {
        const batch = Array.from({ length: 10 }, () =>
          fetch(`${node.server.url}/data`, { headers: { authorization: auth } }).then(async (r) => {
            await r.arrayBuffer();
            return r.status;
          }),
        );
        for (const status of await Promise.all(batch)) assert.equal(status, 200);
      }
      await node.runtime.auditQueue.flush();
      // The hourly run, while maxRows is still 1000; then the attacker restores the settings.
      await node.runtime.retention.run();
      const restored = await api('PATCH', '/admin/settings', {
        'audit.events.authSuccess': false,
        'audit.maxRows': 10_000_000,
      });
      assert.equal(restored.statusCode, 200, restored.body);
      await node.runtime.retention.run();
      await node.runtime.auditQueue.flush();

      const store = node.ctx.store;
      const backdoor = await store.audit.search({ action: 'user.created', affectedUser: 'backdoor' }, 10);
      assert.equal(backdoor.length, 1, "the backdoor user's creation record is still there");
      const changes = await store.audit.search({ action: 'settings.changed' }, 100);
      assert.ok(
        changes.some((r) => r.details?.key === 'audit.maxRows' && r.details.newValue === 1000),
        'the record of the maxRows change is still there',
      );
      assert.ok((await store.audit.count()) > 1000, 'the floor keeps more than maxRows records');

      const v = await verifyAuditChain(store);
      assert.equal(v.ok, true, JSON.stringify(v.problem));
      const r = await cli(dir, 'audit', 'verify');
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(
        r.out,
        /^purge at #\d+: [\d,]+ records #\d+\.\.#\d+ removed under audit\.maxRows=1000 set by admin/m,
        'verify reports the purge it walks over',
      );
    } finally {
      await node.close();
    }
  });
});

describe('audit verify with anchors (issue 14, findings 4 and 10)', () => {
  let root: string;
  let base: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tg-audit-anchor-'));
    base = join(root, 'base');
    const node = await nodeOn(base, (c) => {
      Object.assign(c.audit, { anchorIntervalSeconds: 1 });
    });
    try {
      for (let i = 0; i < 5; i++)
        await node.ctx.tokens.create(CLI_PRINCIPAL, cliCtx, 'admin', { description: `t${i}`, scope: 'read' });
      await node.runtime.auditQueue.flush();
      // An anchor on the timer (bounded wait); the node's shutdown writes another.
      const anchors = join(base, 'audit', 'anchors.jsonl');
      for (let i = 0; i < 40 && !existsSync(anchors); i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await node.close();
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function copy(name: string): string {
    const d = join(root, name);
    cpSync(base, d, { recursive: true });
    return d;
  }
  /** Deletes the newest `n` records and moves the head row to the new last one: a careful truncation. */
  function truncateTail(db: Database.Database, n: number): void {
    db.prepare('delete from audit_log where seq > (select max(seq) from audit_log) - ?').run(n);
    const last = db.prepare('select seq, hash from audit_log order by seq desc limit 1').get() as {
      seq: number;
      hash: string;
    };
    db.prepare('update audit_chain set seq = ?, hash = ? where id = 1').run(last.seq, last.hash);
  }

  it('passes the untouched log and checks the anchors', async () => {
    const r = await cli(copy('clean'), 'audit', 'verify');
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /anchor/);
  });

  it('reports a deleted chain-head row as tampering', async () => {
    const d = copy('head-row');
    withSqlite(d, (db) => db.prepare('delete from audit_chain').run());
    const r = await cli(d, 'audit', 'verify');
    assert.equal(r.code, 1, `verify must fail with the head row deleted; it said: ${r.out}`);
    assert.match(r.out, /audit chain broken .*head/);
  });

  it('reports a deleted chain-head row with the tail truncated', async () => {
    const d = copy('head-row-and-tail');
    withSqlite(d, (db) => {
      db.prepare('delete from audit_log where seq > (select max(seq) from audit_log) - 3').run();
      db.prepare('delete from audit_chain').run();
    });
    const r = await cli(d, 'audit', 'verify');
    assert.equal(r.code, 1, `verify must fail; it said: ${r.out}`);
  });

  it('reports a truncated tail with a consistent head row, from the anchors', async () => {
    const d = copy('tail');
    withSqlite(d, (db) => truncateTail(db, 3));
    const r = await cli(d, 'audit', 'verify');
    assert.equal(r.code, 1, `verify must fail with the newest records deleted; it said: ${r.out}`);
    assert.match(r.out, /audit chain broken at seq \d+: deleted: .*anchor/);
  });

  it('reads anchors from --anchors <file>', async () => {
    const d = copy('tail-elsewhere');
    const file = join(root, 'anchors-copy.jsonl');
    cpSync(join(d, 'audit', 'anchors.jsonl'), file);
    rmSync(join(d, 'audit', 'anchors.jsonl'));
    withSqlite(d, (db) => truncateTail(db, 2));
    const r = await cli(d, 'audit', 'verify', '--anchors', file);
    assert.equal(r.code, 1, `verify must fail; it said: ${r.out}`);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(lines.length >= 1);
  });
});
