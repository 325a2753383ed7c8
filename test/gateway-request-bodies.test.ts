import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Proxy } from '../src/http/edge/proxy.js';
import type { ProxyOptions } from '../src/http/edge/proxy-options.js';
import { requestIds } from '../src/http/request-id.js';
import { startTestNode, type TestNode } from './support/node.js';

/** What reached the upstream: a request, how many body bytes, their hash, and whether it completed. */
interface Seen {
  method: string;
  url: string;
  bytes: number;
  sha256: string;
  complete: boolean;
}

async function startBodyUpstream(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const entry: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      bytes: 0,
      sha256: '',
      complete: false,
    };
    seen.push(entry);
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => {
      entry.bytes += c.length;
      hash.update(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      entry.complete = true;
      entry.sha256 = hash.digest('hex');
      const body = JSON.stringify({ bytes: entry.bytes, sha256: entry.sha256 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A raw client: sends `head` (and the start of a body), keeps what comes back, notes when it closes. */
function rawClient(url: string, head: string, localAddress = '127.0.0.1') {
  const socket: Socket = connect({ port: Number(new URL(url).port), host: '127.0.0.1', localAddress });
  let text = '';
  let closedAt = 0;
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  socket.on('close', () => (closedAt = Date.now()));
  socket.write(head);
  return {
    socket,
    text: () => text,
    closed: () => closedAt !== 0,
    status: () => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
    gone: new Promise<void>((r) => socket.once('close', () => r())),
  };
}

const post = (path: string, length: number | 'chunked'): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\n` +
  (length === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${length}\r\n`) +
  '\r\n';

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** POSTs `body` through the gateway; answers the upstream's JSON view of what it received. */
async function upload(url: string, path: string, body: Buffer, chunked = false) {
  return new Promise<{ status: number; data: { bytes: number; sha256: string } | null }>(
    (resolve, reject) => {
      const req = request(`${url}${path}`, {
        method: 'POST',
        agent: false,
        headers: chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': body.length },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            data: res.statusCode === 200 ? (JSON.parse(text) as { bytes: number; sha256: string }) : null,
          });
        });
      });
      req.on('error', reject);
      // Several writes: a chunked body arrives in pieces, as a real one does.
      for (let i = 0; i < body.length; i += 16_384) req.write(body.subarray(i, i + 16_384));
      req.end();
    },
  );
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('request bodies: buffering, the client body timeout and streaming slots', () => {
  let upstream: Awaited<ReturnType<typeof startBodyUpstream>>;
  let t: TestNode;
  const servers: Array<{ server: Server; proxy: Proxy }> = [];

  before(async () => {
    upstream = await startBodyUpstream();
    t = await startTestNode(upstream.url);
  });

  after(async () => {
    for (const { server, proxy } of servers) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await proxy.close();
    }
    await t.close();
    await upstream.close();
  });

  /** A gateway listener with these proxy options, over the test node's authentication. */
  async function gatewayWith(opts: Partial<ProxyOptions>): Promise<string> {
    const proxy = new Proxy(
      t.node.gateway,
      {
        upstream: new URL(upstream.url),
        identityHeaders: t.node.ctx.config.identityHeaders,
        stripHeaders: [],
        connectTimeoutMs: 5_000,
        headersTimeoutMs: 10_000,
        bodyTimeoutMs: 10_000,
        connections: 8,
        ...opts,
      },
      t.node.logs.logger('proxy'),
      requestIds(),
    );
    const server = createServer(proxy.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({ server, proxy });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('forwards buffered bodies intact, with a length or chunked, and empty ones', async () => {
    const url = await gatewayWith({});
    for (const [size, chunked] of [
      [0, false],
      [1, true],
      [100_000, false],
      [100_000, true],
      [1_048_576, false],
    ] as const) {
      const body = randomBytes(size);
      const r = await upload(url, '/in', body, chunked);
      assert.equal(r.status, 200, `${size} bytes${chunked ? ' chunked' : ''}`);
      assert.deepEqual(r.data, { bytes: size, sha256: sha(body) });
    }
  });

  it('streams bodies past bufferBodyBytes, with a length or chunked, intact', async () => {
    const url = await gatewayWith({ bufferBodyBytes: 10_000 });
    for (const chunked of [false, true]) {
      const body = randomBytes(3 * 1_048_576 + 7);
      const r = await upload(url, '/big', body, chunked);
      assert.equal(r.status, 200);
      assert.deepEqual(r.data, { bytes: body.length, sha256: sha(body) });
    }
  });

  it('answers 408 and closes a buffering body that makes no progress for clientBodyTimeoutMs', async () => {
    const url = await gatewayWith({ clientBodyTimeoutMs: 400 });
    const before = upstream.seen.length;
    const started = Date.now();
    const c = rawClient(url, `${post('/stalled', 1_000)}abc`);
    await c.gone;
    const took = Date.now() - started;
    assert.equal(c.status(), 408, c.text());
    assert.match(c.text(), /\r\nconnection: close\r\n/i);
    assert.ok(took >= 350 && took < 3_000, `cut after ${took} ms`);
    assert.equal(upstream.seen.length, before, 'the stalled body never reached the upstream');
    assert.ok(t.lines.some((l) => l.includes('a request body made no progress for 400 ms')));
  });

  it('answers 408 to a streamed body that stalls, and the upstream sees it aborted', async () => {
    const url = await gatewayWith({ clientBodyTimeoutMs: 400, bufferBodyBytes: 10 });
    const before = upstream.seen.length;
    const c = rawClient(url, `${post('/stalled-stream', 1_000)}${'x'.repeat(100)}`);
    await c.gone;
    assert.equal(c.status(), 408, c.text());
    const seen = upstream.seen.slice(before);
    assert.equal(seen.length, 1, 'the streamed body had reached the upstream');
    await until('the upstream saw the exchange cut', () => seen[0]?.complete === false);
    assert.equal(seen[0]?.complete, false);
  });

  it('limits streamed bodies per client and in total; past streamWaitMs 503 with Retry-After, and other requests pass', async () => {
    const url = await gatewayWith({
      connections: 4,
      streamingPercent: 50, // 2 streaming slots of 4
      streamsPerClient: 1,
      streamWaitMs: 300,
      bufferBodyBytes: 1_000,
    });
    const before = upstream.seen.length;
    const head = post('/push', 10_000_000);
    const a = rawClient(url, `${head}aaa`, '127.0.0.1');
    await until('the first stream reached the upstream', () => upstream.seen.length === before + 1);
    // Same client: over its own limit, though a slot is free.
    const t0 = Date.now();
    const a2 = rawClient(url, `${head}aaa`, '127.0.0.1');
    await a2.gone;
    assert.equal(a2.status(), 503, a2.text());
    assert.match(a2.text(), /\r\nretry-after: 5\r\n/i);
    assert.match(a2.text(), /"code":"unavailable"/);
    assert.ok(Date.now() - t0 >= 250, 'it waited for a slot first');
    // Another client takes the second slot; a third client finds none.
    const b = rawClient(url, `${head}bbb`, '127.0.0.2');
    await until('the second stream reached the upstream', () => upstream.seen.length === before + 2);
    const c = rawClient(url, `${head}ccc`, '127.0.0.3');
    await c.gone;
    assert.equal(c.status(), 503, c.text());
    // Requests without a large body still go through while both slots are held.
    const t1 = Date.now();
    const get = await fetch(`${url}/still-here`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(get.status, 200);
    await get.arrayBuffer();
    const small = await upload(url, '/small', Buffer.from('hello'));
    assert.equal(small.status, 200);
    assert.ok(Date.now() - t1 < 1_000);
    assert.ok(t.lines.some((l) => l.includes('no upstream connection for a streamed request body')));
    // The holders leave: their slots are given back.
    a.socket.destroy();
    b.socket.destroy();
    const body = randomBytes(50_000);
    const pushes = upstream.seen.slice(before).filter((s) => s.url === '/push');
    assert.equal(pushes.length, 2);
    assert.ok(pushes.every((s) => !s.complete));
    const r = await (async () => {
      const end = Date.now() + 5_000;
      for (;;) {
        const attempt = await upload(url, '/after', body);
        if (attempt.status !== 503 || Date.now() > end) return attempt;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    assert.equal(r.status, 200);
    assert.deepEqual(r.data, { bytes: body.length, sha256: sha(body) });
  });

  it('streams instead of buffering once bufferTotalBytes is in use, and the body still arrives intact', async () => {
    const url = await gatewayWith({ bufferTotalBytes: 100_000, bufferBodyBytes: 90_000 });
    const before = upstream.seen.length;
    // A slow sender holds 80,000 bytes of the budget.
    const holder = rawClient(url, `${post('/holder', 90_000)}${'h'.repeat(80_000)}`);
    await new Promise((r) => setTimeout(r, 200));
    const body = randomBytes(60_000);
    const r = await upload(url, '/overflow', body);
    assert.equal(r.status, 200);
    assert.deepEqual(r.data, { bytes: body.length, sha256: sha(body) });
    assert.ok(
      t.lines.some((l) => l.includes('reached proxy.bufferTotalBytes (100000 bytes): streaming instead')),
    );
    assert.deepEqual(
      upstream.seen.slice(before).map((s) => s.url),
      ['/overflow'],
      'the holder stays buffered, off the upstream',
    );
    holder.socket.destroy();
    await holder.gone;
    const again = randomBytes(85_000);
    const r2 = await upload(url, '/again', again);
    assert.deepEqual(r2.data, { bytes: again.length, sha256: sha(again) });
  });
});
