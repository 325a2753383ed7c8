import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { cli, startTestNode, type TestNode } from './support/node.js';

const MB = 1024 * 1024;
const TOTAL = 100 * MB;
/**
 * Memory is judged on a body four times larger: resident memory in a process that both sends and
 * receives churns by tens of MB whatever the size (garbage not yet collected), so "bounded" means
 * far below the body size, which a buffering proxy would exceed.
 */
const LARGE = 400 * MB;
const MAX_GROWTH_MB = 160;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Highest resident memory seen while `work` runs, above what it was before. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthMb: (peak - base) / MB };
  } finally {
    clearInterval(timer);
  }
}

function generate(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      sent += CHUNK.length;
      this.push(CHUNK);
    },
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('gateway streaming', () => {
  let upstream: Server;
  let t: TestNode;
  let token: string;

  before(async () => {
    upstream = createServer((req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          bytes += c.length;
          hash.update(c);
        });
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ bytes, sha: hash.digest('hex') }));
        });
        return;
      }
      if (req.url?.startsWith('/download')) {
        const size = req.url.endsWith('large') ? LARGE : TOTAL;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
        generate(size).pipe(res);
        return;
      }
      if (req.url === '/reset') {
        res.writeHead(200, { 'content-length': 1000 });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      res.end('ok');
    });
    const url = await listen(upstream);
    t = await startTestNode(url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'stream' });
    token = (await t.tokenFor('stream', { scope: 'write' })).token;
  });
  after(async () => {
    await t.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  const upload = (size: number) =>
    new Promise<{ status: number; body: { bytes: number; sha: string } }>((resolve, reject) => {
      const req = request(
        `${t.url}/upload`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(text) as { bytes: number; sha: string },
            }),
          );
        },
      );
      req.on('error', reject);
      // node:http with pipe() keeps back-pressure end to end (fetch with Readable.toWeb reads its source eagerly).
      generate(size).pipe(req);
    });

  it('streams a 100 MB upload through intact', async () => {
    const expected = createHash('sha256');
    for (let i = 0; i < TOTAL / CHUNK.length; i++) expected.update(CHUNK);
    const result = await upload(TOTAL);
    assert.equal(result.status, 200);
    assert.equal(result.body.bytes, TOTAL);
    assert.equal(result.body.sha, expected.digest('hex'));
  });

  it('streams a 400 MB upload with bounded memory', async () => {
    const { result, growthMb } = await peakGrowth(() => upload(LARGE));
    assert.equal(result.body.bytes, LARGE);
    assert.ok(
      growthMb < MAX_GROWTH_MB,
      `resident memory grew by ${growthMb.toFixed(1)} MB for a ${LARGE / MB} MB body`,
    );
  });

  const download = async (path: string) => {
    const r = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    let bytes = 0;
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
    return { status: r.status, bytes };
  };

  it('streams 100 MB and 400 MB downloads, the larger with bounded memory', async () => {
    assert.deepEqual(await download('/download'), { status: 200, bytes: TOTAL });
    const { result, growthMb } = await peakGrowth(() => download('/download-large'));
    assert.deepEqual(result, { status: 200, bytes: LARGE });
    assert.ok(
      growthMb < MAX_GROWTH_MB,
      `resident memory grew by ${growthMb.toFixed(1)} MB for a ${LARGE / MB} MB body`,
    );
  });

  it('cuts the response when the upstream resets mid-body, and keeps serving', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = request(`${t.url}/reset`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('ended'));
        res.on('error', () => resolve('error'));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('error', () => resolve('error'));
      req.end();
    });
    assert.notEqual(outcome, 'ended', 'a truncated body must not look complete');
    assert.equal((await fetch(`${t.url}/ok`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });
});

describe('gateway upstream failures', () => {
  it('answers 502 with a JSON error when the upstream is unreachable', async () => {
    const closed = createServer();
    const url = await listen(closed);
    await new Promise((r) => closed.close(r));
    const t = await startTestNode(url);
    try {
      const r = await fetch(`${t.url}/x`);
      assert.equal(r.status, 502);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'bad_gateway');
      assert.match(body.error.message, /could not be reached/);
    } finally {
      await t.close();
    }
  });

  it('answers 504 with a JSON error when the upstream does not answer in time', async () => {
    const slow = createServer((_req, res) => {
      const timer = setTimeout(() => res.end('late'), 5_000);
      res.on('close', () => clearTimeout(timer));
    });
    const url = await listen(slow);
    const t = await startTestNode(url, (c) => {
      c.proxy.headersTimeoutMs = 300;
    });
    try {
      const r = await fetch(`${t.url}/x`);
      assert.equal(r.status, 504);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'gateway_timeout');
    } finally {
      await t.close();
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });
});
