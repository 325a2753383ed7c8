import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { runCli } from '../src/cli/main.js';
import { loadConfig } from '../src/config/config.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { startNode, type RunningNode } from '../src/node.js';
import { PG_URL, testDatabases } from './support/databases.js';
import { cli, startEchoUpstream } from './support/node.js';
import { requireRedis } from './support/redis.js';

/**
 * Two nodes in this process on one PostgreSQL schema and one Redis: changes reach the other node
 * through pub/sub (the database poll is slowed to a minute, so only Redis can explain a fast
 * change), rate limits hold across both, and both appear in `tokengate cluster status`.
 */
const pgDb = (await testDatabases()).find((d) => d.name === 'postgres');
const redisNeed = await requireRedis();
const skip =
  'skip' in redisNeed ? redisNeed.skip : (pgDb?.skip ?? 'PostgreSQL not wanted (TOKENGATE_TEST_DBS)');

describe('two nodes with PostgreSQL and Redis', { skip }, () => {
  const schema = `tg_cluster_${randomBytes(5).toString('hex')}`;
  const dbUrl = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
  let a: RunningNode;
  let b: RunningNode;
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  const dirs: string[] = [];

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
    config.changePollMs = 60_000;
    return startNode(config, { show: () => undefined, defaultMetrics: false });
  };

  before(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    up = await startEchoUpstream();
    a = await node('node-a');
    b = await node('node-b');
    await a.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'cleo' });
  });
  after(async () => {
    await a.close();
    await b.close();
    await up.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  });

  const use = (n: RunningNode, token: string) =>
    fetch(`${n.server.url}/x`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

  it('spreads a revocation to the other node through Redis, long before the database poll', async () => {
    const made = await a.ctx.tokens.create(CLI_PRINCIPAL, cli, 'cleo', { description: 'spread' });
    assert.equal(await use(b, made.token), 200, 'warm in B');
    const t0 = Date.now();
    await a.ctx.tokens.revoke(CLI_PRINCIPAL, cli, made.record.id, true);
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 10));
      status = await use(b, made.token);
    }
    const ms = Date.now() - t0;
    assert.equal(status, 401);
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  it('spreads a log-level change to the other node', async () => {
    await a.ctx.settings.update(CLI_PRINCIPAL, cli, { 'log.levels': { root: 'INFO', auth: 'DEBUG' } });
    for (let i = 0; i < 100 && b.logs.levelOf('auth') !== 'DEBUG'; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(b.logs.levelOf('auth'), 'DEBUG');
  });

  it('holds a rate limit across both nodes together', async () => {
    const limited = await a.ctx.tokens.create(CLI_PRINCIPAL, cli, 'cleo', {
      description: 'global',
      rateLimit: { requests: 3, windowSeconds: 60 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await use(i % 2 ? a : b, limited.token));
    assert.equal(statuses.filter((s) => s === 200).length, 3, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 5);
  });

  it('lists both live nodes in tokengate cluster status', async () => {
    let out = '';
    const code = await runCli(['--db', dbUrl, 'cluster', 'status', '--json'], {
      out: (t) => (out += t),
      err: () => undefined,
    });
    assert.equal(code, 0);
    const nodes = JSON.parse(out) as Array<{ id: string; live: boolean; version: string; redis: boolean }>;
    for (const id of ['node-a', 'node-b']) {
      const n = nodes.find((x) => x.id === id);
      assert.ok(n?.live, `${id} live`);
      assert.equal(n?.redis, true);
    }
  });
});
