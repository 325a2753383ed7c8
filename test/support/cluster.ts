import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PG_URL, postgresProblem } from './databases.js';
import { requireNginx, startNginx, type NginxHandle } from './nginx.js';
import { basicAuth, startEchoUpstream } from './node.js';
import { REDIS_URL, requireRedis } from './redis.js';
import { ADMIN_PASSWORD, BIN, childEnv, NodeProcess, ROOT } from './cluster-node.js';
import { freePort } from './processes.js';

/**
 * The cluster of test/cluster.test.ts: PostgreSQL in a schema of its own, Redis on a logical database
 * of its own (TOKENGATE_TEST_REDIS_CLUSTER_DB, default 9), three nodes of the built CLI
 * (`tokengate serve`) and nginx in front with the upstream block of docs/cluster.md.
 */

const CI = process.env.CI === 'true';
const DOC = join(ROOT, 'docs', 'cluster.md');
export const ADMIN = basicAuth('admin', ADMIN_PASSWORD);
export const API = '/_tokengate/api/v1';
/** Far longer than any wait in the tests: only Redis pub/sub can carry a change to another node in time. */
const CHANGE_POLL_MS = 30_000;
const CLI_TIMEOUT_MS = 60_000;
/** The issue's bound for a revocation, a disabled user or a settings change to reach every node. */
export const PROPAGATION_BOUND_MS = 1_000;
/** How long a log line may take to reach the file after the request that wrote it. */
export const LOG_BOUND_MS = 3_000;
const REDIS_CLUSTER_DB = process.env.TOKENGATE_TEST_REDIS_CLUSTER_DB ?? '9';

/** Why the suite cannot run here, or false; under CI=true a missing service throws instead. */
export async function clusterMissing(): Promise<string | false> {
  const reasons: string[] = [];
  const pgProblem = await postgresProblem();
  if (pgProblem !== null) {
    if (CI) throw new Error(`CI=true and PostgreSQL at ${PG_URL} is unreachable (${pgProblem})`);
    reasons.push(`PostgreSQL unreachable at ${PG_URL}: ${pgProblem}`);
  }
  const redis = await requireRedis();
  if ('skip' in redis) reasons.push(redis.skip);
  const nginx = requireNginx();
  if ('skip' in nginx) reasons.push(nginx.skip);
  return reasons.length === 0 ? false : `the cluster test cannot run here: ${reasons.join('; ')}`;
}

/** The suite's PostgreSQL URL: the test database, with every connection's search_path set to our schema (libpq `options`). */
function schemaUrl(schema: string): string {
  const sep = PG_URL.includes('?') ? '&' : '?';
  return `${PG_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

function clusterRedisUrl(): string {
  const u = new URL(REDIS_URL);
  u.pathname = `/${REDIS_CLUSTER_DB}`;
  return u.toString();
}

const DOCUMENTED = {
  listen: 'listen 80;',
  servers: ['server 10.0.0.11:8080', 'server 10.0.0.12:8080', 'server 10.0.0.13:8080'],
};

/**
 * The nginx load-balancer configuration of docs/cluster.md, read from between its marker comments,
 * with the documented addresses replaced by the test's (each must occur exactly once), so the
 * documentation cannot drift from what is tested here.
 */
function documentedNginx(nginxPort: number, nodes: NodeProcess[]): string {
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf('<!-- cluster-nginx:start -->');
  const to = doc.indexOf('<!-- cluster-nginx:end -->');
  assert.ok(from >= 0 && to > from, `${DOC} has no cluster-nginx section`);
  const fenced = /```nginx\n([\s\S]*?)\n```/.exec(doc.slice(from, to));
  assert.ok(fenced?.[1] !== undefined, 'the cluster-nginx section holds no ```nginx block');
  const once = (text: string, a: string, b: string): string => {
    assert.equal(
      text.split(a).length - 1,
      1,
      `the documented nginx config should contain "${a}" exactly once`,
    );
    return text.replace(a, b);
  };
  let conf = once(fenced[1], DOCUMENTED.listen, `listen 127.0.0.1:${nginxPort};`);
  DOCUMENTED.servers.forEach((server, i) => {
    const node = nodes[i];
    assert.ok(node);
    conf = once(conf, server, `server 127.0.0.1:${node.port}`);
  });
  return conf;
}

export interface Created {
  token: string;
  record: { id: string; user: string };
}

/** What a started cluster holds. */
export interface ClusterParts {
  nodeA: NodeProcess;
  nodeB: NodeProcess;
  nodeC: NodeProcess;
  nginx: NginxHandle;
  up: Awaited<ReturnType<typeof startEchoUpstream>>;
  db: pg.Pool;
}

/**
 * Three nodes behind nginx, started by `start` and removed by `stop`, which also cleans up after a
 * start that failed half way (whatever was started is stopped; the schema is dropped).
 */
export class TestCluster {
  private readonly schema = `tg_cluster_${randomBytes(6).toString('hex')}`;
  private readonly dbUrl = schemaUrl(this.schema);
  private readonly redisUrl = clusterRedisUrl();
  private redis: Redis | undefined;
  private db: pg.Pool | undefined;
  private up: ClusterParts['up'] | undefined;
  private nginx: NginxHandle | undefined;
  private readonly nodes: NodeProcess[] = [];
  private configDir: string | undefined;
  private seq = 0;

  async start(): Promise<ClusterParts> {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${this.schema}`);
    await admin.end();
    const db = new pg.Pool({ connectionString: this.dbUrl, max: 2 });
    this.db = db;
    // Rate-limit keys are named by token id, unique to this run: nothing to clear first, and
    // another run sharing this Redis database is left alone.
    this.redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 1 });
    const up = await startEchoUpstream();
    this.up = up;
    const configDir = mkdtempSync(join(tmpdir(), 'tg-cluster-config-'));
    this.configDir = configDir;
    const configFile = join(configDir, 'tokengate.yaml');
    writeFileSync(configFile, `changePollMs: ${CHANGE_POLL_MS}\n`);
    const args = ['--config', configFile, '--db', this.dbUrl];
    const serve = ['--upstream', up.url, '--redis', this.redisUrl];
    const ports = [await freePort(), await freePort(), await freePort()];
    const make = async (id: string, port: number): Promise<NodeProcess> => {
      const node = new NodeProcess(id, port, args, serve, await freePort());
      this.nodes.push(node);
      return node;
    };
    const nodeA = await make('node-a', ports[0] ?? 0);
    const nodeB = await make('node-b', ports[1] ?? 0);
    const nodeC = await make('node-c', ports[2] ?? 0);
    // A first: it migrates the empty schema and creates the admin. B and C then start together.
    // (Nodes starting together on an empty database can race to create the first admin.)
    await nodeA.start();
    await Promise.all([nodeB.start(), nodeC.start()]);
    const nginx = await startNginx((port) => documentedNginx(port, [nodeA, nodeB, nodeC]));
    this.nginx = nginx;
    // nginx is the only proxy in front of the nodes: trust its X-Forwarded-For.
    const res = await fetch(`${nodeA.adminUrl}${API}/admin/settings`, {
      method: 'PATCH',
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      // The admin creates far more than the default 10 tokens in the tests.
      body: JSON.stringify({ 'auth.trustedProxies': ['127.0.0.1'], 'tokens.maxPerUser': 10_000 }),
    });
    assert.equal(res.status, 200, await res.text());
    return { nodeA, nodeB, nodeC, nginx, up, db };
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    for (const n of this.nodes) n.remove();
    await this.nginx?.close();
    await this.up?.close();
    if (this.db !== undefined) {
      // This run's rate-limit keys in Redis: one per token its nodes rate-limited.
      const { rows } = await this.db
        .query<{ id: string }>('select id from tokens')
        .catch(() => ({ rows: [] }));
      const keys = rows.map((r) => `tokengate:rl:${r.id}`);
      if (keys.length > 0) await this.redis?.del(...keys).catch(() => undefined);
      await this.db.end();
    }
    this.redis?.disconnect();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${this.schema} cascade`);
    await admin.end();
    if (this.configDir !== undefined) rmSync(this.configDir, { recursive: true, force: true });
  }

  /** A management API call to `node` as the admin: the status and the parsed body. */
  readonly api = async (
    node: NodeProcess,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${node.adminUrl}${API}${path}`, {
      method,
      headers: {
        authorization: ADMIN,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
  };

  /** Creates a token for the admin through the management API of `node`. */
  readonly createToken = async (node: NodeProcess, extra: Record<string, unknown> = {}): Promise<Created> => {
    const r = await this.api(node, 'POST', '/tokens', {
      description: `cluster token ${++this.seq}`,
      ...extra,
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return r.json as Created;
  };

  /** A request through the gateway of one node (or nginx) with a token; the status. */
  readonly call = async (base: string, token: string, path = '/data'): Promise<number> => {
    const res = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status;
  };

  /** The CLI against the cluster's database; its stdout. */
  readonly cli = async (...args: string[]): Promise<string> => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--db', this.dbUrl, ...args], {
      cwd: ROOT,
      env: childEnv(),
      timeout: CLI_TIMEOUT_MS,
    });
    return stdout;
  };
}
