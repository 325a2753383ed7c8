import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../src/config/config.js';
import { generateToken } from '../src/domain/token/format.js';
import { basicAuth, startTestNode, type TestNode } from './support/node.js';
import {
  assertRefused,
  exchange,
  HANG_MS,
  jsonBody,
  startUpstream,
  TARGETS,
  type Exchange,
} from './support/raw-socket.js';

/**
 * Client garbage over a raw TCP socket, against a whole running node: malformed request lines,
 * oversized headers, repeated Authorization and Host headers, request smuggling, slow clients and
 * bytes that are not UTF-8. Each answer is a clear 4xx (never a 5xx), nothing hangs, nothing reaches
 * the upstream that should not, and the node serves the next normal request on every path. The
 * server limits and timeouts set in the config file are in raw-socket-limits.test.ts.
 */

describe('raw socket: client garbage', () => {
  let up: Awaited<ReturnType<typeof startUpstream>>;
  let t: TestNode;
  let port: number;
  let adminPort: number;
  let token: string;
  /** The management API is on the admin listener, the rest on the gateway's. */
  const portFor = (path: string): number => (path.startsWith('/_tokengate/api/') ? adminPort : port);

  /** The node answers a normal request on each of its three paths. */
  async function servesNext(what: string): Promise<void> {
    const auth = { authorization: `Bearer ${token}` };
    const gw = await fetch(`${t.url}/after`, { headers: auth });
    assert.equal(gw.status, 200, `gateway after ${what}`);
    assert.equal(gw.headers.get('x-upstream'), 'echo');
    const api = await fetch(`${t.adminUrl}/_tokengate/api/v1/me`, { headers: auth });
    assert.equal(api.status, 200, `management API after ${what}`);
    const fa = await fetch(`${t.url}/_tokengate/auth`, { headers: auth });
    assert.equal(fa.status, 200, `forward-auth after ${what}`);
    await Promise.all([gw.arrayBuffer(), api.arrayBuffer(), fa.arrayBuffer()]);
  }

  before(async () => {
    up = await startUpstream();
    t = await startTestNode(up.url, (c: Config) => {
      // Short, so the slow-client cases finish quickly; every other limit keeps its default.
      c.server.headersTimeoutMs = 2_000;
    });
    port = Number(new URL(t.url).port);
    adminPort = Number(new URL(t.adminUrl).port);
    token = (await t.tokenFor('admin')).token;
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  it('refuses malformed request lines with 400 and closes the connection', async () => {
    for (const { name, path } of TARGETS) {
      // No version is HTTP/0.9 to node, and HTTP/2.0 is no version of this protocol: node parses both,
      // tokengate refuses them (403 on forward-auth, like all its refusals there).
      for (const line of [`GET ${path}`, `GET ${path} HTTP/0.9`, `GET ${path} HTTP/2.0`]) {
        const x = await exchange(portFor(path), [`${line}\r\nHost: x\r\n\r\n`]);
        assertRefused(x, name === 'forward-auth' ? 403 : 400, `${name}: ${JSON.stringify(line)}`);
        assert.match(jsonBody(x).error?.message ?? '', /is not supported/);
      }
      for (const line of [
        'GARBAGE',
        `GET ${path} HTTP/1.1 extra`,
        `GET ${path} HTTP/9.9`,
        `GET ${path} HTTX/1.1`,
        `get ${path} HTTP/1.1`,
        `GET ${path}\u0000 HTTP/1.1`,
        `GET ${path}\u0001x HTTP/1.1`,
        `GET ${path} x HTTP/1.1`,
        `G\u00e9T ${path} HTTP/1.1`,
      ]) {
        const x = await exchange(portFor(path), [`${line}\r\nHost: x\r\n\r\n`]);
        assertRefused(x, 400, `${name}: ${JSON.stringify(line)}`);
      }
      // Bare LF line endings, and a TLS ClientHello sent to the plain-text port.
      assertRefused(
        await exchange(portFor(path), [`GET ${path} HTTP/1.1\nHost: x\n\n`]),
        400,
        `${name}: bare LF`,
      );
    }
    assertRefused(
      await exchange(port, [Buffer.from('16030100a5010000a10303', 'hex')]),
      400,
      'TLS ClientHello',
    );
    await servesNext('malformed request lines');
  });

  it('answers 431 to one huge header and to too many headers, then serves the next request', async () => {
    for (const { name, path } of TARGETS) {
      const huge = await exchange(portFor(path), [
        `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      ]);
      assertRefused(huge, 431, `${name}: one 20 kB header`);
      const many = Array.from({ length: 3_000 }, (_, i) => `X-H${i}: v\r\n`).join('');
      assertRefused(
        await exchange(portFor(path), [`GET ${path} HTTP/1.1\r\nHost: x\r\n${many}\r\n`]),
        431,
        `${name}: 3000 headers`,
      );
      // Just under the default 16 kB: accepted.
      const fits = await exchange(portFor(path), [
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`,
      ]);
      assert.deepEqual(fits.statuses, [200], `${name}: a 10 kB header fits`);
    }
    await servesNext('oversized headers');
  });

  it('refuses a repeated Authorization or Host header (400, 403 on forward-auth) before the upstream sees it', async () => {
    const password = basicAuth('admin', 'admin-password-1');
    for (const { name, path } of TARGETS) {
      const status = name === 'forward-auth' ? 403 : 400;
      for (const [label, headers] of [
        ['two Authorization', `Authorization: Bearer ${token}\r\nAuthorization: ${password}\r\n`],
        [
          'the same Authorization twice',
          `Authorization: Bearer ${token}\r\nauthorization: Bearer ${token}\r\n`,
        ],
        ['a password and a token', `AUTHORIZATION: ${password}\r\nAuthorization: Bearer ${token}\r\n`],
        ['two Host', `Host: y\r\nAuthorization: Bearer ${token}\r\n`],
      ] as const) {
        up.seen.length = 0;
        const x = await exchange(portFor(path), [
          `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: 0\r\n\r\n`,
        ]);
        assertRefused(x, status, `${name}: ${label}`);
        const body = jsonBody(x);
        assert.equal(body.error?.code, status === 400 ? 'invalid_request' : 'forbidden');
        assert.match(body.error?.message ?? '', /more than one (authorization|host) header/);
        assert.equal(up.seen.length, 0, `${name}: ${label} reached the upstream`);
      }
    }
    // Past a thousand other header lines, where node would by default stop reading headers silently.
    const filler = Array.from({ length: 1_200 }, (_, i) => `a${i}: b\r\n`).join('');
    const late = await exchange(port, [
      `GET /probe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${filler}Authorization: Basic eDp5\r\n\r\n`,
    ]);
    assertRefused(late, 400, 'a second Authorization after 1200 header lines');
    await servesNext('repeated headers');
  });

  it('refuses conflicting Content-Length and Transfer-Encoding (request smuggling) with 400 and a closed connection', async () => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const cases: Array<[string, string, string]> = [
      ['CL then TE', 'Content-Length: 6\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${smuggled}`],
      ['TE then CL', 'Transfer-Encoding: chunked\r\nContent-Length: 6\r\n', `0\r\n\r\n${smuggled}`],
      [
        'CL 0 with TE',
        'Content-Length: 0\r\nTransfer-Encoding: chunked\r\n',
        `5\r\nhello\r\n0\r\n\r\n${smuggled}`,
      ],
      ['two different CL', 'Content-Length: 4\r\nContent-Length: 40\r\n', `abcd${smuggled}`],
      ['two equal CL', 'Content-Length: 4\r\nContent-Length: 4\r\n', `abcd${smuggled}`],
      ['CL list', 'Content-Length: 4, 4\r\n', `abcd${smuggled}`],
      ['CL with a sign', 'Content-Length: +4\r\n', `abcd${smuggled}`],
      ['negative CL', 'Content-Length: -1\r\n', smuggled],
      ['TE xchunked', 'Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${smuggled}`],
      ['TE chunked, identity', 'Transfer-Encoding: chunked, identity\r\n', `0\r\n\r\n${smuggled}`],
      ['TE identity', 'Transfer-Encoding: identity\r\n', `0\r\n\r\n${smuggled}`],
      ['TE twice', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${smuggled}`],
      ['TE folded onto a second line', 'Transfer-Encoding:\r\n chunked\r\n', `0\r\n\r\n${smuggled}`],
      ['space before the colon', 'Transfer-Encoding : chunked\r\n', `0\r\n\r\n${smuggled}`],
      ['vertical tab in TE', 'Transfer-Encoding: \u000bchunked\r\n', `0\r\n\r\n${smuggled}`],
      ['bad chunk size', 'Transfer-Encoding: chunked\r\n', `zz\r\nabcd\r\n0\r\n\r\n${smuggled}`],
      ['chunk size overflow', 'Transfer-Encoding: chunked\r\n', `fffffffffffffffff\r\nabcd\r\n0\r\n\r\n`],
    ];
    for (const { name, path } of TARGETS) {
      for (const [label, headers, body] of cases) {
        up.seen.length = 0;
        const x = await exchange(portFor(path), [
          `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${headers}\r\n${body}`,
        ]);
        assertRefused(x, 400, `${name}: ${label}`);
        assert.ok(!up.seen.some((s) => s.url === '/smuggled'), `${name}: ${label} smuggled a request`);
        assert.equal(up.seen.length, 0, `${name}: ${label} reached the upstream`);
      }
    }
    await servesNext('smuggling attempts');
  });

  it('frames chunked bodies the one way RFC 9112 allows: optional spaces and letter case change nothing', async () => {
    for (const te of ['chunked', ' chunked', 'chunked ', '\tchunked', 'CHUNKED', 'Chunked']) {
      up.seen.length = 0;
      // A pipelined second request after the body: answered separately, never swallowed into it.
      const x = await exchange(port, [
        `POST /chunked HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding:${te}\r\n\r\n5\r\nhello\r\n0\r\n\r\n` +
          `GET /second HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      ]);
      assert.deepEqual(x.statuses, [200, 200], `TE ${JSON.stringify(te)}: ${x.text.slice(0, 200)}`);
      // Order at the upstream is not the client's: the chunked body is read whole before it goes on.
      assert.deepEqual(
        up.seen.map((s) => [s.url, s.bytes]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          ['/chunked', 5],
          ['/second', 0],
        ],
      );
    }
    await servesNext('chunked bodies');
  });

  it('cuts a client that trickles its headers (slowloris) or sends nothing, with 408', async () => {
    const slow = (path: string): Promise<Exchange> =>
      exchange(
        portFor(path),
        [
          `GET ${path} HTTP/1.1\r\nHost: x\r\n`,
          ...Array.from({ length: 60 }, (_, i) => `X-Slow-${i}: v\r\n`),
        ],
        { gapMs: 250, waitMs: HANG_MS },
      );
    const results = await Promise.all([
      ...TARGETS.map((target) => slow(target.path)),
      exchange(port, [], { waitMs: HANG_MS }),
    ]);
    for (const [i, x] of results.entries()) {
      const what = TARGETS[i]?.name ?? 'an idle connection';
      assert.ok(x.closed, `${what}: still open after ${x.ms} ms`);
      // 60 header lines 250 ms apart would take 15 s: the 2 s headers timeout cut it long before.
      assert.ok(x.ms < 10_000, `${what}: cut only after ${x.ms} ms`);
      assert.deepEqual(x.statuses, [408], `${what}: ${JSON.stringify(x.text.slice(0, 100))}`);
    }
    await servesNext('slow clients');
  });

  it('copes with bytes that are not UTF-8: refused in the request line and header names, harmless in values', async () => {
    const hi = (s: string): Buffer => Buffer.from(s, 'latin1');
    for (const { name, path } of TARGETS) {
      // Raw bytes above 0x7f in the request target or a header name: 400.
      assertRefused(
        await exchange(portFor(path), [hi(`GET ${path}\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n`)]),
        400,
        `${name}: path`,
      );
      assertRefused(
        await exchange(portFor(path), [hi(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-\xe4: v\r\n\r\n`)]),
        400,
        `${name}: header name`,
      );
      // In header values (obs-text), percent-encoded in the path, and inside Basic credentials:
      // an answer, never a 5xx, and never a crash.
      const basicBytes = Buffer.from([0xff, 0xfe, 0x3a, 0xc3, 0x28]).toString('base64');
      for (const [label, request] of [
        [
          'header value',
          `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Junk: \xff\xfe\xc3\x28\r\n`,
        ],
        ['Bearer value', `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\xc3\x28\r\n`],
        ['Basic credentials', `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${basicBytes}\r\n`],
        [
          'X-Forwarded-For',
          `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Forwarded-For: \xff\xfe, 10.0.0.1\r\n`,
        ],
        [
          'X-Request-Id',
          `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Request-Id: \xff\r\n`,
        ],
        [
          'percent-encoded path',
          `GET ${path.replace(/\?.*/, '')}%ff%fe%c3%28 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n`,
        ],
        [
          'invalid percent-encoding',
          `GET ${path.replace(/\?.*/, '')}%zz?%zz=%ff HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n`,
        ],
      ] as const) {
        const x = await exchange(portFor(path), [hi(`${request}Connection: close\r\n\r\n`)]);
        assert.ok(x.closed, `${name}: ${label}: left open`);
        assert.equal(x.statuses.length, 1, `${name}: ${label}: ${JSON.stringify(x.text.slice(0, 200))}`);
        const status = x.statuses[0] ?? 0;
        assert.ok(status >= 200 && status < 500, `${name}: ${label}: ${status} ${x.text.slice(0, 300)}`);
      }
    }
    await servesNext('bytes that are not UTF-8');
  });

  it('still asks for a body (100 Continue) only after authenticating it, and never for a refused request', async () => {
    const head = (path: string, auth: string): string =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;
    const bearer = `Authorization: Bearer ${token}\r\n`;
    // Authenticated on the gateway: 100 first, then the body goes through.
    up.seen.length = 0;
    const ok = await exchange(port, [head('/upload', bearer), '{}'], { gapMs: 300 });
    assert.deepEqual(ok.statuses, [100, 200], ok.text.slice(0, 200));
    assert.deepEqual(up.seen, [{ method: 'POST', url: '/upload', bytes: 2 }]);
    // Refused before any body is asked for: an unknown token, and a repeated Authorization header.
    for (const [label, auth] of [
      // Well-formed, checksum and all, but issued by nobody: 401.
      ['unknown token', `Authorization: Bearer ${generateToken()}\r\n`],
      ['two Authorization', `${bearer}${bearer}`],
    ] as const) {
      for (const path of ['/upload', '/_tokengate/api/v1/tokens']) {
        const x = await exchange(portFor(path), [head(path, auth)], { waitMs: HANG_MS });
        assert.ok(x.closed, `${label} ${path}: left open`);
        // The management API takes its small bodies at once (100 first); the gateway asks only once
        // the request is authenticated; a repeated header is refused before either.
        const expected =
          label === 'two Authorization' ? [400] : path.startsWith('/_tokengate/') ? [100, 401] : [401];
        assert.deepEqual(x.statuses, expected, `${label} ${path}`);
      }
    }
    await servesNext('Expect: 100-continue');
  });

  it('closes a keep-alive connection that sends garbage after a good request, and carries on', async () => {
    for (const { name, path } of TARGETS) {
      const x = await exchange(
        portFor(path),
        [`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`, 'GARBAGE\r\n\r\n'],
        { gapMs: 200 },
      );
      assert.ok(x.closed, `${name}: left open`);
      assert.equal(x.statuses[0], 200, `${name}: ${x.text.slice(0, 200)}`);
      assert.ok(
        x.statuses.every((s) => s < 500),
        `${name}: ${x.statuses.join(',')}`,
      );
    }
    await servesNext('garbage after a good request');
  });
});
