import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from './support/node.js';

/** A small pool, so a handful of slow readers would hold all of it. */
const POOL = 4;
const SLOW_READERS = 6;
const SEND_TIMEOUT_MS = 1_000;
/** Far more than the loopback socket buffers hold, so the upstream read must pause. */
const BIG = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x62);
/** The one generous bound: a probe answered within it was not stuck behind the slow readers. */
const PROBE_MS = 5_000;
const WAIT_STEP_MS = 50;
const WAIT_STEPS = 400;

function generate(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) this.push(null);
      else {
        sent += CHUNK.length;
        this.push(CHUNK);
      }
    },
  });
}

/** A client that asks for the large response and never reads a byte of it (until told to). */
function slowReader(url: string): Promise<{ socket: Socket; received: () => number }> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  let received = 0;
  socket.on('data', (d: Buffer) => (received += d.length));
  socket.on('error', () => undefined);
  return new Promise((resolve) =>
    socket.once('connect', () => {
      socket.write('GET /big HTTP/1.1\r\nHost: gateway.test\r\n\r\n');
      socket.pause();
      resolve({ socket, received: () => received });
    }),
  );
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < WAIT_STEPS && !ok(); i++) await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
  assert.ok(ok(), `timed out waiting until ${what}`);
}

describe('clients that never read a large response (red team F1)', () => {
  let upstream: Server;
  let t: TestNode;
  let bigStarted = 0;
  let bigClosed = 0;

  before(async () => {
    upstream = createServer((req, res) => {
      if (req.url === '/big') {
        bigStarted++;
        res.on('close', () => bigClosed++);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG });
        generate(BIG).pipe(res);
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    t = await startTestNode(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, (c) => {
      c.proxy.connections = POOL;
      c.proxy.clientSendTimeoutMs = SEND_TIMEOUT_MS;
    });
  });

  after(async () => {
    await t.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  const probe = (): Promise<string> =>
    fetch(`${t.url}/x`, { signal: AbortSignal.timeout(PROBE_MS) }).then(
      async (res) => `${res.status} ${await res.text()}`,
      (err: unknown) => (err as Error).message,
    );

  it(`${SLOW_READERS} readers of a 64 MB response on a pool of ${POOL} are cut after proxy.clientSendTimeoutMs`, async () => {
    const readers = await Promise.all(Array.from({ length: SLOW_READERS }, () => slowReader(t.url)));
    try {
      // Every pooled connection is taken by a stalled response first.
      await until(`${POOL} large responses started`, () => bigStarted >= POOL);
      // A valid GET queued behind them is answered once the first of them are cut.
      const first = await probe();
      assert.equal(first, '200 ok', 'a GET queued behind the slow readers');
      // Each exchange is aborted once its client took nothing for the timeout, the queued ones in turn.
      await until(`all ${SLOW_READERS} large responses were aborted`, () => bigClosed >= SLOW_READERS);

      const probes = await Promise.all(Array.from({ length: POOL * 2 }, probe));
      assert.deepEqual(probes, Array<string>(POOL * 2).fill('200 ok'), 'the pool is free again');

      // The slow readers' connections were closed: reading now ends early, not with the whole body.
      for (const r of readers) r.socket.resume();
      await until('every slow reader saw its connection closed', () =>
        readers.every((r) => r.socket.destroyed || r.socket.readableEnded),
      );
      for (const r of readers) assert.ok(r.received() < BIG, `a slow reader got ${r.received()} bytes`);

      assert.ok(
        t.lines.some((l) => l.includes('WARN') && l.includes('proxy.clientSendTimeoutMs')),
        'one WARN line names the timeout',
      );
    } finally {
      for (const r of readers) r.socket.destroy();
    }
  });
});
