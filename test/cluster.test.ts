import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HEARTBEAT_MS } from '../src/node.js';
import { VERSION } from '../src/version.js';
import {
  ADMIN,
  API,
  clusterMissing,
  LOG_BOUND_MS,
  PROPAGATION_BOUND_MS,
  TestCluster,
  type ClusterParts,
  type Created,
} from './support/cluster.js';
import { START_TIMEOUT_MS, type NodeProcess } from './support/cluster-node.js';
import { sleep } from './support/processes.js';

/**
 * Cluster ("Data Center") mode end to end, as issue 6 asks: PostgreSQL in a schema of its own, Redis
 * on a logical database of its own, three tokengate nodes A, B and C as separate processes of the
 * built CLI (`tokengate serve`), and a real nginx balancing round-robin over them with the upstream
 * block of docs/cluster.md.
 *
 * The nodes poll the database's change feed only every 30 s here (`changePollMs`), so anything that
 * reaches another node within a second got there by Redis pub/sub, not by the safety-net poll.
 *
 * Needs PostgreSQL (TOKENGATE_TEST_PG), Redis (TOKENGATE_TEST_REDIS's server; this suite uses logical
 * database TOKENGATE_TEST_REDIS_CLUSTER_DB, default 9, and deletes its keys there at the end) and nginx. Missing locally: the
 * suite skips with the reason. Missing under CI=true: it fails. The harness is test/support/cluster.ts.
 */

const skip = await clusterMissing();

describe('cluster mode: three nodes on PostgreSQL and Redis behind nginx', { skip }, () => {
  const cluster = new TestCluster();
  const { api, createToken, call, cli } = cluster;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  let nodeC: NodeProcess;
  let nginx: ClusterParts['nginx'];
  let up: ClusterParts['up'];
  let db: ClusterParts['db'];
  /** When node B came back from its restart, and when node C was killed. */
  let restartedB = 0;
  let killedC = 0;

  before(async () => {
    ({ nodeA, nodeB, nodeC, nginx, up, db } = await cluster.start());
  });

  after(() => cluster.stop());

  it('a token created through node A authenticates through B, C and nginx', async () => {
    const { token, record } = await createToken(nodeA);
    assert.equal(await call(nodeB.url, token), 200, 'through B');
    assert.equal(await call(nodeC.url, token), 200, 'through C');
    assert.equal(await call(nodeA.url, token), 200, 'through A');
    const viaNginx: number[] = [];
    for (let i = 0; i < 6; i++) viaNginx.push(await call(nginx.url, token));
    assert.deepEqual(viaNginx, [200, 200, 200, 200, 200, 200], 'through nginx');
    // Round-robin: nginx spreads the health checks over all three nodes.
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${nginx.url}/_tokengate/health`);
      served.add(((await res.json()) as { nodeId: string }).nodeId);
    }
    assert.deepEqual([...served].sort(), ['node-a', 'node-b', 'node-c']);
    assert.equal(record.user, 'admin');
    // What reached the upstream went through the gateway with the identity headers set.
    const last = up.seen[up.seen.length - 1];
    assert.equal(last?.headers['x-forwarded-user'], 'admin');
  });

  /**
   * Polls each node with the token from `since` on until it refuses it, for at most the propagation
   * bound; the status last seen and the time it took on each.
   */
  const refusals = (
    nodes: NodeProcess[],
    token: string,
    since: number,
  ): Promise<Array<{ id: string; status: number; ms: number; polls: number }>> =>
    Promise.all(
      nodes.map(async (n) => {
        let status = 0;
        let polls = 0;
        while (performance.now() - since <= PROPAGATION_BOUND_MS) {
          status = await call(n.url, token);
          polls++;
          if (status !== 200) break;
          await sleep(10);
        }
        return { id: n.id, status, ms: performance.now() - since, polls };
      }),
    );

  const describeRefusals = (r: Array<{ id: string; ms: number; polls: number }>): string =>
    r.map((x) => `${x.id} ${x.ms.toFixed(1)} ms (${x.polls} poll${x.polls === 1 ? '' : 's'})`).join(', ');

  it('a revocation through node B is refused on A and C within 1 s', async () => {
    const { token, record } = await createToken(nodeA);
    // Warm the caches of A and C: afterwards only an invalidation can make them refuse the token.
    for (const n of [nodeA, nodeC]) {
      assert.equal(await call(n.url, token), 200);
      assert.equal(await call(n.url, token), 200);
    }
    const sent = performance.now();
    const r = await api(nodeB, 'DELETE', `/tokens/${record.id}`);
    assert.equal(r.status, 204);
    const acked = performance.now();
    const seen = await refusals([nodeA, nodeC], token, acked);
    console.log(
      `  revocation through B (DELETE took ${(acked - sent).toFixed(1)} ms), refused after B's answer on: ${describeRefusals(seen)}`,
    );
    for (const x of seen) {
      assert.equal(
        x.status,
        401,
        `${x.id} still accepted the token ${PROPAGATION_BOUND_MS} ms after the revocation`,
      );
    }
    assert.equal(await call(nodeB.url, token), 401, 'and on B itself');
  });

  it("disabling a user through node B refuses the user's token on A and C within 1 s", async () => {
    const username = `dev-${randomBytes(3).toString('hex')}`;
    assert.equal((await api(nodeA, 'POST', '/admin/users', { username, groups: ['dev'] })).status, 201);
    const created = await api(nodeA, 'POST', `/admin/users/${username}/tokens`, { description: 'ci job' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const { token } = created.json as Created;
    for (const n of [nodeA, nodeC]) assert.equal(await call(n.url, token), 200);
    const r = await api(nodeB, 'PATCH', `/admin/users/${username}`, { disabled: true });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const acked = performance.now();
    const seen = await refusals([nodeA, nodeC], token, acked);
    console.log(`  user disabled through B, token refused after B's answer on: ${describeRefusals(seen)}`);
    for (const x of seen) {
      assert.notEqual(
        x.status,
        200,
        `${x.id} still accepted the token of a disabled user after ${PROPAGATION_BOUND_MS} ms`,
      );
    }
  });

  it('the rate limit is global: of 3N requests spread over the three nodes exactly N pass', async () => {
    // GCRA frees one request every 60 s / N: all requests below go out well within that.
    const N = 5;
    const nodes = [nodeA, nodeB, nodeC];
    const sequential = await createToken(nodeA, { rateLimit: { requests: N, windowSeconds: 60 } });
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 3 * N; i++) statuses.push(await call(nodes[i % 3]?.url ?? '', sequential.token));
    const tookSequential = Date.now() - started;
    assert.equal(statuses.filter((s) => s === 200).length, N, `statuses: ${statuses.join(' ')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 2 * N, `statuses: ${statuses.join(' ')}`);
    // The first N pass wherever they land; then every node refuses.
    assert.deepEqual(statuses.slice(0, N), Array<number>(N).fill(200));

    // The same with all 3N requests at once: one atomic script per decision.
    const concurrent = await createToken(nodeB, { rateLimit: { requests: N, windowSeconds: 60 } });
    const t1 = Date.now();
    const together = await Promise.all(
      Array.from({ length: 3 * N }, (_, i) => call(nodes[i % 3]?.url ?? '', concurrent.token)),
    );
    const tookConcurrent = Date.now() - t1;
    assert.equal(together.filter((s) => s === 200).length, N, `statuses: ${together.join(' ')}`);
    assert.equal(together.filter((s) => s === 429).length, 2 * N);
    console.log(
      `  rate limit ${N}/60 s: ${3 * N} requests round-robin over A, B, C passed ${N} (sequential ${tookSequential} ms, concurrent ${tookConcurrent} ms)`,
    );
    assert.ok(
      tookSequential < 60_000 / N && tookConcurrent < 60_000 / N,
      'the requests took too long to prove the limit',
    );
  });

  it('the audit list from node C shows the events of A and B with their node ids', async () => {
    const { record } = await createToken(nodeA);
    assert.equal((await api(nodeB, 'DELETE', `/tokens/${record.id}`)).status, 204);
    const r = await api(nodeC, 'GET', `/admin/audit?tokenId=${record.id}`);
    assert.equal(r.status, 200);
    const items = (r.json as { items: Array<{ action: string; nodeId: string | null }> }).items;
    const seen = items.map((i) => `${i.action}@${i.nodeId ?? 'null'}`).sort();
    assert.deepEqual(seen, ['token.created@node-a', 'token.revoked@node-b']);
    // The node filter works across the cluster too.
    const byA = await api(nodeC, 'GET', `/admin/audit?nodeId=node-a&limit=500`);
    const aItems = (byA.json as { items: Array<{ nodeId: string | null; tokenId: string | null }> }).items;
    assert.ok(aItems.length > 0 && aItems.every((i) => i.nodeId === 'node-a'));
    assert.ok(aItems.some((i) => i.tokenId === record.id));
    // The command line, against the same database, reads the same records.
    const lines = (await cli('audit', 'list', '--json', '--token', record.id))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { action: string; nodeId: string | null });
    assert.deepEqual(lines.map((i) => `${i.action}@${i.nodeId ?? 'null'}`).sort(), seen);
  });

  it('a log-level change through node A applies on every node and survives a restart', async () => {
    const { token } = await createToken(nodeA);
    const marker = randomBytes(4).toString('hex');
    /** Sends requests to `node` until its log file shows the [auth] INFO line of one; the ms it took, or null. */
    const authLineAfter = async (
      node: NodeProcess,
      label: string,
      boundMs: number,
    ): Promise<number | null> => {
      const t0 = performance.now();
      for (let i = 0; performance.now() - t0 <= boundMs; i++) {
        const path = `/loglevel-${label}-${marker}-${i}`;
        assert.equal(await call(node.url, token, path), 200);
        const lineDeadline = performance.now() + 200;
        while (performance.now() < lineDeadline) {
          if (
            node
              .log()
              .split('\n')
              .some((l) => l.includes(' [auth] ') && l.includes(path))
          )
            return performance.now() - t0;
          await sleep(20);
        }
      }
      return null;
    };
    // The default level of `auth` is WARN: no line per authentication yet.
    for (const n of [nodeA, nodeB, nodeC]) {
      assert.equal(await authLineAfter(n, 'before', 300), null, `${n.id} logs [auth] INFO before the change`);
    }
    const put = await api(nodeA, 'PUT', '/admin/log-levels/auth', { level: 'INFO' });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    const took: string[] = [];
    for (const n of [nodeA, nodeB, nodeC]) {
      const ms = await authLineAfter(n, 'after', LOG_BOUND_MS);
      assert.ok(ms !== null, `${n.id} wrote no [auth] INFO line within ${LOG_BOUND_MS} ms of the change`);
      took.push(`${n.id} ${ms.toFixed(0)} ms`);
    }
    console.log(`  log level applied (first request whose [auth] line is in the file): ${took.join(', ')}`);
    // Every line of every node's log names the node (the thread field of the default layout).
    for (const n of [nodeA, nodeB, nodeC]) {
      const lines = n
        .log()
        .split('\n')
        .filter((l) => /^\d{4}-\d{2}-\d{2} /.test(l));
      assert.ok(lines.length > 0);
      const without = lines.filter((l) => !l.includes(`@${n.id} `));
      assert.deepEqual(without, [], `${n.id} wrote log lines without its node id`);
    }
    for (const n of [nodeB, nodeC]) {
      const r = await api(n, 'GET', '/admin/log-levels');
      assert.equal((r.json as { levels: Record<string, string> }).levels.auth, 'INFO');
    }

    // B restarts and still logs at the new level: the level lives in the database, not in the process.
    await nodeB.stop('SIGTERM');
    await nodeB.start();
    restartedB = Date.now();
    const ms = await authLineAfter(nodeB, 'restarted', LOG_BOUND_MS);
    assert.ok(ms !== null, 'node B lost the log level in its restart');
    assert.equal((await authLineAfter(nodeA, 'still', LOG_BOUND_MS)) !== null, true);
  });

  it('killing a node loses no acknowledged audit event, and nginx carries on', async () => {
    const { token } = await createToken(nodeA);
    // Traffic through nginx the whole time.
    const throughNginx: Array<number | string> = [];
    let traffic = true;
    const load = (async () => {
      while (traffic) {
        throughNginx.push(await call(nginx.url, token).catch((err: unknown) => String(err)));
        await sleep(10);
      }
    })();
    // Three clients create tokens through C until it dies; every 201 is an acknowledged creation.
    const acknowledged: string[] = [];
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 1_000; i++) {
        try {
          const res = await fetch(`${nodeC.adminUrl}${API}/tokens`, {
            method: 'POST',
            headers: { authorization: ADMIN, 'content-type': 'application/json' },
            body: JSON.stringify({ description: `through C ${i}` }),
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status !== 201) {
            failures.push(`status ${res.status}: ${await res.text()}`);
            return;
          }
          acknowledged.push(((await res.json()) as Created).record.id);
        } catch (err) {
          failures.push(String(err));
          return;
        }
      }
    };
    const workers = Promise.all([worker(), worker(), worker()]);
    const deadline = Date.now() + 20_000;
    while (acknowledged.length < 12 && Date.now() < deadline) await sleep(5);
    assert.ok(
      acknowledged.length >= 12,
      `only ${acknowledged.length} creations through C in 20 s: ${failures.join('; ')}`,
    );
    killedC = Date.now();
    await nodeC.stop('SIGKILL');
    await workers;
    const ackCount = acknowledged.length;
    // nginx keeps serving for a while after the kill.
    await sleep(1_000);
    traffic = false;
    await load;
    const after: number[] = [];
    for (let i = 0; i < 12; i++) after.push(await call(nginx.url, token));

    const { rows } = await db.query<{ token_id: string; node_id: string }>(
      `select token_id, node_id from audit_log where action = 'token.created' and token_id = any($1)`,
      [acknowledged],
    );
    const recorded = new Set(rows.map((r) => r.token_id));
    const lost = acknowledged.filter((id) => !recorded.has(id));
    console.log(
      `  killed C after ${ackCount} acknowledged creations; ${lost.length} lost; ${throughNginx.length} requests through nginx during the kill, statuses ${[...new Set(throughNginx)].join(', ')}`,
    );
    assert.deepEqual(lost, [], 'acknowledged token.created records missing from the database');
    assert.ok(rows.every((r) => r.node_id === 'node-c'));
    assert.ok(failures.length > 0, 'the creations through C stopped with an error once it was killed');
    assert.ok(
      throughNginx.length > 0 && throughNginx.every((s) => s === 200),
      `through nginx: ${throughNginx.join(' ')}`,
    );
    assert.deepEqual(after, Array<number>(12).fill(200));
    // The tokens C acknowledged work on the surviving nodes.
    const lastAcked = acknowledged[acknowledged.length - 1];
    assert.ok(lastAcked !== undefined);
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${nginx.url}/_tokengate/health`);
      served.add(((await res.json()) as { nodeId: string }).nodeId);
    }
    assert.deepEqual([...served].sort(), ['node-a', 'node-b']);
  });

  it('`tokengate cluster status --json` lists the live nodes with id, version, started and last heartbeat', async () => {
    const now = Date.now();
    const nodes = JSON.parse(await cli('cluster', 'status', '--json')) as Array<{
      id: string;
      version: string;
      startedAt: string;
      lastHeartbeat: string;
      live: boolean;
      pid: number;
      redis: boolean;
    }>;
    console.log(
      `  cluster status: ${nodes.map((n) => `${n.id} ${n.live ? 'live' : 'stale'} beat ${now - Date.parse(n.lastHeartbeat)} ms ago`).join('; ')}`,
    );
    const byId = new Map(nodes.map((n) => [n.id, n]));
    for (const id of ['node-a', 'node-b']) {
      const n = byId.get(id);
      assert.ok(n, `${id} is not listed`);
      assert.equal(n.live, true, `${id} is not live`);
      assert.equal(n.version, VERSION);
      assert.ok(Number.isFinite(Date.parse(n.startedAt)));
      const beat = Date.parse(n.lastHeartbeat);
      assert.ok(now - beat < 3 * HEARTBEAT_MS, `${id}'s last heartbeat is ${now - beat} ms old`);
      assert.ok(beat >= Date.parse(n.startedAt));
      assert.equal(n.redis, true);
    }
    // B's row is its new process's, started at the restart.
    const b = byId.get('node-b');
    assert.ok(
      b && Date.parse(b.startedAt) <= restartedB && Date.parse(b.startedAt) > restartedB - START_TIMEOUT_MS,
    );
    // C was killed: it announces itself no more, and shows as stale once three heartbeats are missed.
    const c = byId.get('node-c');
    if (c !== undefined) assert.ok(Date.parse(c.lastHeartbeat) <= killedC);
    // The table form says the same.
    const table = await cli('cluster', 'status');
    assert.match(table, /node-a\s+live/);
    assert.match(table, /node-b\s+live/);
  });
});
