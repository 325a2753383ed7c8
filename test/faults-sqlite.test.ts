import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { hashToken } from '../src/domain/token/hash.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * The SQLite database goes away under a running node (docs/security.md, "Faults: what fails open
 * or closed"). tokengate keeps SQLite in WAL mode, where readers never wait for a writer: while
 * another process holds the write lock, or while the file cannot be written, tokens are still read
 * (so uncached tokens keep authenticating) and only writes fail, with 503, never 500. The node
 * keeps serving while a write waits for the lock, and recovers without a restart.
 */

const API = '/_tokengate/api/v1';
const ADMIN = basicAuth('admin', 'admin-password-1');
/** A request may take this long before the test calls it hung. */
const HANG_MS = 30_000;
const CI = process.env.CI === 'true';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  retryAfter: string | null;
  code: string | null;
  body: string;
}

async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_MS) });
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
const createToken = (description: string): RequestInit => ({
  method: 'POST',
  headers: { authorization: ADMIN, 'content-type': 'application/json' },
  body: JSON.stringify({ description }),
});
const changeSetting = (value: number): RequestInit => ({
  method: 'PATCH',
  headers: { authorization: ADMIN, 'content-type': 'application/json' },
  body: JSON.stringify({ 'rateLimit.requests': value }),
});

/** A node on a SQLite file of its own, with a token warm in its cache and one it never saw. */
async function sqliteNode(up: string): Promise<{
  t: TestNode;
  warm: string;
  cold: () => Promise<string>;
}> {
  const t = await startTestNode(up);
  await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice' });
  const warm = (await t.tokenFor('alice', { description: 'warm' })).token;
  const cached = (): boolean =>
    t.node.ctx.cache.warmToken(hashToken(warm), Date.now()) !== undefined &&
    t.node.ctx.cache.warmUser('alice', Date.now()) !== undefined;
  for (let i = 0; i < 50 && !cached(); i++) {
    assert.equal((await request(`${t.url}/data`, bearer(warm))).status, 200);
    if (!cached()) await sleep(100);
  }
  assert.ok(cached(), 'the warm token was not cached');
  // The admin's password is checked once, so later calls need no scrypt (and no database read).
  assert.equal((await request(`${t.adminUrl}${API}/me`, { headers: { authorization: ADMIN } })).status, 200);
  let n = 0;
  return { t, warm, cold: async () => (await t.tokenFor('alice', { description: `cold ${++n}` })).token };
}

describe('SQLite locked: another process holds the write lock', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let warm: string;
  let cold: () => Promise<string>;
  /** Another connection to the same file: `sqlite3 tokengate.db` left in a transaction, a backup job. */
  let holder: SQLite.Database;

  /** Takes the write lock as soon as the node is not holding it itself. */
  const lock = async (): Promise<void> => {
    for (let i = 0; ; i++) {
      try {
        holder.exec('begin exclusive');
        return;
      } catch (err) {
        if (i > 100) throw err;
        await sleep(20);
      }
    }
  };
  const unlock = (): void => {
    if (holder.inTransaction) holder.exec('rollback');
  };

  before(async () => {
    up = await startEchoUpstream();
    ({ t, warm, cold } = await sqliteNode(up.url));
    holder = new SQLite(t.node.ctx.config.db);
    holder.pragma('busy_timeout = 0');
  });

  after(async () => {
    unlock();
    holder.close();
    await t.close();
    await up.close();
  });

  it('reads go on while the lock is held: uncached tokens authenticate, the API lists', async () => {
    const token = await cold();
    await lock();
    try {
      assert.equal((await request(`${t.url}/data`, bearer(token))).status, 200);
      assert.equal((await request(`${t.url}/data`, bearer(warm))).status, 200);
      const list = await request(`${t.adminUrl}${API}/tokens`, { headers: { authorization: ADMIN } });
      assert.equal(list.status, 200, list.body);
      assert.equal((await request(`${t.url}/_tokengate/health`)).status, 200);
    } finally {
      unlock();
    }
  });

  it('a write waits for the lock without stopping the node, and goes through once it is released', async () => {
    await lock();
    let settled = false;
    const creating = request(`${t.adminUrl}${API}/tokens`, createToken('waits for the lock')).finally(() => {
      settled = true;
    });
    try {
      // Give the write time to reach the lock; meanwhile the node must keep answering.
      await sleep(300);
      const served = await request(`${t.url}/data`, bearer(warm));
      assert.equal(served.status, 200);
      const health = await request(`${t.url}/_tokengate/health`);
      assert.equal(health.status, 200);
      assert.equal(settled, false, 'a write waiting for the lock held up the requests after it');
    } finally {
      unlock();
    }
    const created = await creating;
    assert.equal(created.status, 201, created.body);
  });

  it('a write that cannot get the lock in time gets 503 unavailable with Retry-After, never 500', async () => {
    await lock();
    let answers: Answer[];
    try {
      answers = await Promise.all([
        request(`${t.adminUrl}${API}/tokens`, createToken('never gets the lock')),
        request(`${t.adminUrl}${API}/admin/settings`, changeSetting(77)),
      ]);
    } finally {
      unlock();
    }
    for (const a of answers) {
      assert.equal(a.status, 503, a.body);
      assert.equal(a.code, 'unavailable');
      assert.equal(a.retryAfter, '5');
    }
    await t.node.logs.flush();
    assert.ok(
      t.lines.some((l) => l.includes(' ERROR ') && /database is locked/.test(l)),
      'the log does not say the database was locked',
    );
  });

  it('recovers by itself once the lock is released', async () => {
    const created = await request(`${t.adminUrl}${API}/tokens`, createToken('after the lock'));
    assert.equal(created.status, 201, created.body);
    assert.equal((await request(`${t.adminUrl}${API}/admin/settings`, changeSetting(78))).status, 200);
    assert.equal((await request(`${t.url}/data`, bearer(await cold()))).status, 200);
  });
});

/** prlimit (util-linux) lowers the file size limit of this very process: every file write fails. */
function prlimitProblem(): string | null {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
const prlimit = prlimitProblem();
if (prlimit !== null && CI) throw new Error(`CI=true and prlimit (util-linux) is missing: ${prlimit}`);

describe(
  'SQLite cannot be written: the disk is full or the file system turned read-only',
  { skip: prlimit === null ? false : `prlimit is not available: ${prlimit}` },
  () => {
    let up: Awaited<ReturnType<typeof startEchoUpstream>>;
    let t: TestNode;
    let warm: string;
    let cold: () => Promise<string>;
    /**
     * RLIMIT_FSIZE of 1 byte: the kernel refuses to grow any file this process writes (EFBIG), so
     * SQLite's writes to the WAL fail with SQLITE_IOERR_WRITE, the error a file system remounted
     * read-only gives too (a full disk gives SQLITE_FULL). Reads of the open file go on. No privilege
     * is needed, unlike mounting a file system; node ignores the SIGXFSZ that comes with it.
     */
    const refuseWrites = (on: boolean): void => {
      execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${on ? '1' : 'unlimited'}:`]);
    };

    before(async () => {
      up = await startEchoUpstream();
      ({ t, warm, cold } = await sqliteNode(up.url));
      await t.settings({ 'audit.events.authSuccess': true });
    });

    after(async () => {
      refuseWrites(false);
      await t.close();
      await up.close();
    });

    it('tokens are still read; writes get 503 unavailable with Retry-After, never 500', async () => {
      const token = await cold();
      const failuresBefore = (await t.node.runtime.metrics.auditFlushFailures.get()).values[0]?.value ?? 0;
      refuseWrites(true);
      let answers: Answer[];
      let reads: number[];
      try {
        reads = [
          (await request(`${t.url}/data`, bearer(token))).status,
          (await request(`${t.url}/data`, bearer(warm))).status,
          (await request(`${t.adminUrl}${API}/tokens`, { headers: { authorization: ADMIN } })).status,
        ];
        answers = [
          await request(`${t.adminUrl}${API}/tokens`, createToken('on a full disk')),
          await request(`${t.adminUrl}${API}/admin/settings`, changeSetting(79)),
        ];
        // The audit queue's flushes fail meanwhile; its events wait in memory.
        const deadline = Date.now() + HANG_MS;
        while (Date.now() < deadline) {
          const failures = (await t.node.runtime.metrics.auditFlushFailures.get()).values[0]?.value ?? 0;
          if (failures > failuresBefore) break;
          await sleep(50);
        }
      } finally {
        refuseWrites(false);
      }
      assert.deepEqual(reads, [200, 200, 200]);
      for (const a of answers) {
        assert.equal(a.status, 503, a.body);
        assert.equal(a.code, 'unavailable');
        assert.equal(a.retryAfter, '5');
      }
      const { metrics } = t.node.runtime;
      const failures = (await metrics.auditFlushFailures.get()).values[0]?.value ?? 0;
      assert.ok(failures > failuresBefore, 'no audit flush failed while the disk refused writes');
      assert.ok(t.node.runtime.auditQueue.size > 0, 'the authentication events were not kept for later');
      // A write the disk refused is a fault to retry, not a bad event to set aside.
      assert.equal((await metrics.auditDropped.get()).values[0]?.value ?? 0, 0, 'audit events were dropped');
    });

    it('recovers by itself once the file can be written again: writes, the queued audit events', async () => {
      const created = await request(`${t.adminUrl}${API}/tokens`, createToken('after the disk recovered'));
      assert.equal(created.status, 201, created.body);
      assert.equal((await request(`${t.adminUrl}${API}/admin/settings`, changeSetting(80))).status, 200);
      const deadline = Date.now() + HANG_MS;
      while (t.node.runtime.auditQueue.size > 0 && Date.now() < deadline) await sleep(50);
      assert.equal(t.node.runtime.auditQueue.size, 0, 'the queued audit events were not written');
      const verify = await request(`${t.adminUrl}${API}/admin/audit/verify`, {
        headers: { authorization: ADMIN },
      });
      assert.equal(verify.status, 200, verify.body);
      assert.equal((JSON.parse(verify.body) as { ok: boolean }).ok, true, verify.body);
    });
  },
);
