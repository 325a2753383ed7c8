import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../src/config/config.js';
import { basicAuth, startTestNode, type TestNode } from './support/node.js';
import { assertRefused, exchange, HANG_MS, jsonBody, startUpstream, TARGETS } from './support/raw-socket.js';

/** The server's limits and timeouts from the config file, over a raw TCP socket against a running node. */

describe('server limits and timeouts from the config file', () => {
  let up: Awaited<ReturnType<typeof startUpstream>>;
  let small: TestNode;
  let port: number;
  let adminPort: number;
  let token: string;
  const portFor = (path: string): number => (path.startsWith('/_tokengate/api/') ? adminPort : port);
  const admin = basicAuth('admin', 'admin-password-1');

  before(async () => {
    up = await startUpstream();
    small = await startTestNode(up.url, (c: Config) => {
      c.server = {
        maxHeaderBytes: 4_096,
        headersTimeoutMs: 1_000,
        requestTimeoutMs: 4_000,
        keepAliveTimeoutMs: 1_000,
        maxApiBodyBytes: 2_048,
      };
    });
    port = Number(new URL(small.url).port);
    adminPort = Number(new URL(small.adminUrl).port);
    token = (await small.tokenFor('admin')).token;
  });
  after(async () => {
    await small.close();
    await up.close();
  });

  it('server.maxHeaderBytes: headers past it get 431 on every path', async () => {
    for (const { name, path } of TARGETS) {
      const big = await exchange(portFor(path), [
        `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(5_000)}\r\n\r\n`,
      ]);
      assertRefused(big, 431, `${name}: a 5 kB header over a 4 kB limit`);
      const fits = await exchange(portFor(path), [
        `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Big: ${'a'.repeat(3_000)}\r\nConnection: close\r\n\r\n`,
      ]);
      assert.deepEqual(fits.statuses, [200], `${name}: a 3 kB header fits`);
    }
  });

  it('server.maxApiBodyBytes: a larger management API body gets 413 with a JSON error; the gateway streams any size', async () => {
    const body = (n: number): string =>
      JSON.stringify({ username: 'limit-user', displayName: 'x'.repeat(n) });
    const tooBig = await fetch(`${small.adminUrl}/_tokengate/api/v1/admin/users`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: body(3_000),
    });
    assert.equal(tooBig.status, 413);
    const error = ((await tooBig.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'payload_too_large');
    // Chunked, without a Content-Length to refuse up front: cut while reading, the same answer.
    const chunked = await exchange(adminPort, [
      `POST /_tokengate/api/v1/admin/users HTTP/1.1\r\nHost: x\r\nAuthorization: ${admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      `${(3_000).toString(16)}\r\n${body(3_000).slice(0, 3_000)}\r\n`,
      '0\r\n\r\n',
    ]);
    assert.equal(chunked.statuses[0], 413, chunked.text.slice(0, 200));
    assert.equal(jsonBody(chunked).error?.code, 'payload_too_large');
    // Under the limit: through to the handler (a 400 for the long display name is still not a 413).
    const fits = await fetch(`${small.adminUrl}/_tokengate/api/v1/admin/users`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: body(200),
    });
    assert.equal(fits.status, 201, await fits.text());
    // The gateway has no body limit: it streams to the upstream.
    up.seen.length = 0;
    const upload = await fetch(`${small.url}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: Buffer.alloc(200_000, 1),
    });
    assert.equal(upload.status, 200);
    assert.deepEqual(await upload.json(), { url: '/upload', bytes: 200_000 });
  });

  it('server.headersTimeoutMs and requestTimeoutMs: a slow upload is cut at the request timeout, a merely slow one passes', async () => {
    const head = `POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    // 2 s of body, well past the 1 s headers timeout but inside the 4 s request timeout: delivered.
    up.seen.length = 0;
    const ok = await exchange(port, [head, ...Array.from({ length: 8 }, () => '2\r\nab\r\n'), '0\r\n\r\n'], {
      gapMs: 250,
    });
    assert.deepEqual(ok.statuses, [200], ok.text.slice(0, 200));
    assert.deepEqual(up.seen, [{ method: 'POST', url: '/upload', bytes: 16 }]);
    // A body still trickling after 4 s is cut: 408, the connection closed, long before 60 × 250 ms.
    up.seen.length = 0;
    const cut = await exchange(port, [head, ...Array.from({ length: 60 }, () => '2\r\nab\r\n')], {
      gapMs: 250,
    });
    assert.ok(cut.closed, 'still open');
    assert.ok(cut.ms < 12_000, `cut only after ${cut.ms} ms`);
    assert.deepEqual(cut.statuses, [408], cut.text.slice(0, 200));
    assert.equal(up.seen.length, 0, 'the cut upload reached the upstream as complete');
  });

  it('server.keepAliveTimeoutMs: announced to clients, and an idle connection is closed after it', async () => {
    const x = await exchange(port, [`GET /_tokengate/health HTTP/1.1\r\nHost: x\r\n\r\n`], {
      waitMs: HANG_MS,
    });
    assert.equal(x.statuses[0], 200);
    assert.match(x.text, /\r\nKeep-Alive: timeout=1\r\n/i);
    assert.ok(x.closed && x.ms < 10_000, `an idle keep-alive connection stayed open ${x.ms} ms`);
  });
});
