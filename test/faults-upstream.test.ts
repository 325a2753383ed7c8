import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Pool } from 'undici';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { cli, startTestNode, type TestNode } from './support/node.js';
import { resetSocket } from './support/tcp-relay.js';

/**
 * The upstream fails (docs/security.md, "Faults: what fails open or closed"; docs/gateway.md):
 *
 * - refused (nothing listens): 502 `bad_gateway`;
 * - reset before any response header: 502 `bad_gateway`;
 * - hangs (no response headers within `proxy.headersTimeoutMs`): 504 `gateway_timeout`;
 * - reset in the middle of the body, after the headers were sent on: the client's response is cut
 *   (its connection closed before the announced length), never completed or padded.
 *
 * Then 10,000 such requests, with bounded concurrency: afterwards the node holds no client
 * connection, the upstream sees no connection left open, the process holds no more sockets than
 * before, and the heap after a full garbage collection has not grown beyond a generous bound.
 */

const TOTAL = 10_000;
const CONCURRENCY = 32;
/** The test client's own limit for any request; far beyond what a fault may take here. */
const CLIENT_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 100;
/** The whole 10,000-request run must end within this (it takes seconds); a hang fails the test instead. */
const RUN_DEADLINE_MS = 300_000;
/** A leak of a kilobyte per request would be 10 MB; heap noise after a full collection is far below. */
const MAX_HEAP_GROWTH_MB = 16;
/** Sockets that may be open after the run beyond those before: a few keep-alive connections. */
const SOCKET_SLACK = 8;
/** The body length the upstream announces before it resets mid-body. */
const ANNOUNCED = 100_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** global.gc without starting node with --expose-gc. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * A raw TCP upstream: `/ok` answers, `/hang` never answers, `/reset-head` resets the connection
 * before any byte of the answer, `/reset-body` sends the headers and part of the body, then resets.
 */
async function startFaultyUpstream(): Promise<{
  url: string;
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    const onData = (b: Buffer): void => {
      head += b.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const path = head.split(' ')[1] ?? '';
      head = head.slice(end + 4);
      if (path === '/hang') return;
      if (path === '/reset-head') {
        resetSocket(socket);
        return;
      }
      if (path === '/reset-body') {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${ANNOUNCED}\r\ncontent-type: text/plain\r\n\r\n`);
        socket.write('x'.repeat(1_000), () => resetSocket(socket));
        return;
      }
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok');
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sockets,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

/** A client of the node, patient enough for every fault but never forever. */
function clientOf(url: string, connections: number): Pool {
  return new Pool(url, { connections, headersTimeout: CLIENT_TIMEOUT_MS, bodyTimeout: CLIENT_TIMEOUT_MS });
}

type Outcome = string;

/** One request through a client pool: its status and error code, or how its body ended. */
async function outcome(client: Pool, path: string, token: string): Promise<Outcome> {
  try {
    const res = await client.request({
      method: 'GET',
      path,
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.statusCode !== 200) {
      const body = (await res.body.json()) as { error?: { code?: string } };
      return `${res.statusCode} ${body.error?.code ?? '?'}`;
    }
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    return `200 complete ${bytes}`;
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).name;
    // The client's own patience running out is a hang, not a cut.
    return /TIMEOUT/.test(code) ? `hung (${code})` : `cut (${code})`;
  }
}

function sockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

describe('the upstream is refused, hangs, or resets', () => {
  let up: Awaited<ReturnType<typeof startFaultyUpstream>>;
  /** Proxies to the faulty upstream. */
  let t: TestNode;
  /** Proxies to a port nothing listens on. */
  let refused: TestNode;
  let token: string;
  let refusedToken: string;

  before(async () => {
    up = await startFaultyUpstream();
    const configure = (c: TestNode['node']['ctx']['config']): void => {
      c.proxy.headersTimeoutMs = HEADERS_TIMEOUT_MS;
      c.proxy.connections = 16;
    };
    t = await startTestNode(up.url, configure);
    refused = await startTestNode(await closedPort(), configure);
    for (const n of [t, refused]) {
      await n.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice' });
      // Only warnings: 10,000 failures would otherwise fill the memory sink with auth lines.
      await n.settings({ 'log.levels': { root: 'WARN' } });
    }
    token = (await t.tokenFor('alice')).token;
    refusedToken = (await refused.tokenFor('alice')).token;
  });

  after(async () => {
    await t.close();
    await refused.close();
    await up.close();
  });

  it('answers 502, 504, or cuts the body, each as documented', async () => {
    const client = clientOf(t.url, 4);
    const refusedClient = clientOf(refused.url, 4);
    try {
      assert.equal(await outcome(client, '/ok', token), '200 complete 2');
      assert.equal(await outcome(refusedClient, '/x', refusedToken), '502 bad_gateway');
      assert.equal(await outcome(client, '/reset-head', token), '502 bad_gateway');
      assert.equal(await outcome(client, '/hang', token), '504 gateway_timeout');
      const cut = await outcome(client, '/reset-body', token);
      assert.match(cut, /^cut /, 'a body reset midway must not look complete');
      // The node logs why, once per request, naming the upstream.
      await t.node.logs.flush();
      const warned = t.lines.filter((l) => l.includes(' WARN ') && l.includes(`upstream ${up.url} failed`));
      assert.ok(
        warned.some((l) => l.includes('/hang') && l.includes('did not answer in time')),
        warned.join('\n'),
      );
      assert.equal(await outcome(client, '/ok', token), '200 complete 2', 'the node serves on');
    } finally {
      await client.close();
      await refusedClient.close();
    }
  });

  it(`leaks no socket and no memory over ${TOTAL.toLocaleString('en')} such requests`, async () => {
    const kinds: Array<{ path: string; node: 'faulty' | 'refused'; expect: RegExp; share: number }> = [
      { path: '/x', node: 'refused', expect: /^502 bad_gateway$/, share: 3 },
      { path: '/reset-head', node: 'faulty', expect: /^502 bad_gateway$/, share: 3 },
      { path: '/reset-body', node: 'faulty', expect: /^cut /, share: 3 },
      { path: '/hang', node: 'faulty', expect: /^504 gateway_timeout$/, share: 1 },
    ];
    const plan: number[] = [];
    kinds.forEach((k, i) => {
      for (let n = 0; n < k.share; n++) plan.push(i);
    });
    const run = async (count: number): Promise<Map<string, number>> => {
      const seen = new Map<string, number>();
      const client = clientOf(t.url, CONCURRENCY);
      const refusedClient = clientOf(refused.url, CONCURRENCY);
      const deadline = Date.now() + RUN_DEADLINE_MS;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < count && Date.now() < deadline) {
          const i = next++;
          const kind = kinds[plan[i % plan.length] ?? 0];
          assert.ok(kind);
          const got =
            kind.node === 'refused'
              ? await outcome(refusedClient, kind.path, refusedToken)
              : await outcome(client, kind.path, token);
          const key = kind.expect.test(got) ? `${kind.path}: as expected` : `${kind.path}: ${got}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      };
      try {
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      } finally {
        await client.close();
        await refusedClient.close();
      }
      assert.ok(next >= count, `only ${next} of ${count} requests ran within ${RUN_DEADLINE_MS} ms`);
      return seen;
    };

    // A first round warms up what is allocated once (JIT code, pools, buffers) before measuring.
    await run(500);
    await sleep(200);
    const before = { sockets: sockets(), heap: heapMb() };
    const started = Date.now();
    const seen = await run(TOTAL);
    const tookMs = Date.now() - started;
    // Connections the node has stopped using close by themselves; give them a moment.
    const settled = Date.now();
    const serverConnections = (): Promise<number> =>
      new Promise((resolve, reject) =>
        t.node.server.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
      );
    while (Date.now() - settled < 10_000 && (up.sockets.size > 0 || (await serverConnections()) > 0))
      await sleep(100);
    const afterRun = { sockets: sockets(), heap: heapMb() };
    console.log(
      `  ${TOTAL} requests in ${tookMs} ms; sockets ${before.sockets} -> ${afterRun.sockets}; heap after GC ${before.heap.toFixed(1)} -> ${afterRun.heap.toFixed(1)} MB; upstream connections left ${up.sockets.size}`,
    );

    const expected = new Map(
      kinds.map((k) => [`${k.path}: as expected`, (TOTAL / plan.length) * k.share] as [string, number]),
    );
    assert.deepEqual(Object.fromEntries(seen), Object.fromEntries(expected));
    assert.equal(await serverConnections(), 0, 'client connections left open on the node');
    assert.equal(
      await new Promise<number>((r, j) =>
        refused.node.server.server.getConnections((e, n) => (e ? j(e) : r(n))),
      ),
      0,
    );
    assert.equal(up.sockets.size, 0, 'connections to the upstream left open');
    assert.ok(
      afterRun.sockets <= before.sockets + SOCKET_SLACK,
      `sockets grew from ${before.sockets} to ${afterRun.sockets}`,
    );
    assert.ok(
      afterRun.heap - before.heap < MAX_HEAP_GROWTH_MB,
      `heap after GC grew by ${(afterRun.heap - before.heap).toFixed(1)} MB`,
    );
    const client = clientOf(t.url, 1);
    try {
      assert.equal(await outcome(client, '/ok', token), '200 complete 2', 'the node serves on');
    } finally {
      await client.close();
    }
  });
});
