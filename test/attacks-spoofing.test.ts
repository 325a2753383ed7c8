import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { checksum } from '../src/domain/token/format.js';
import { createTokengate, type Tokengate } from '../src/middleware/index.js';
import { basicAuth, cli, startTestNode, type TestNode } from './support/node.js';

/**
 * Header spoofing: identity headers a client sends never reach the application, in any spelling or
 * number of copies, through the proxy and through the middleware; X-Forwarded-For from an untrusted
 * peer never changes the client IP (log line, audit record, IP allow-lists); and forward-auth believes
 * X-Original-* / X-Forwarded-Method/-Uri only from a trusted proxy.
 */

interface Seen {
  headers: IncomingHttpHeaders;
  raw: string[];
}

/** An upstream that records every header line as it arrived (rawHeaders keeps every copy and spelling). */
async function rawUpstream(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ headers: req.headers, raw: [...req.rawHeaders] });
    req.resume();
    res.end('ok');
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

type Pairs = Array<[string, string]>;

/** A request through node:http with raw header lines: names exactly as given, every copy sent. */
function send(
  base: string,
  path: string,
  headers: Pairs | OutgoingHttpHeaders,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const pairs: Pairs = Array.isArray(headers)
    ? headers
    : Object.entries(headers).flatMap(([k, v]) =>
        (Array.isArray(v) ? v : [String(v)]).map((x): [string, string] => [k, String(x)]),
      );
  return new Promise((resolve, reject) => {
    // With raw header lines Node adds no Host of its own.
    const host: [string, string] = ['Host', new URL(base).host];
    const req = request(`${base}${path}`, { method, headers: [host, ...pairs].flat() }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every spelling and copy of a header a client might try: case, underscores, duplicates. */
function spoofed(name: string, value: string): Pairs {
  const underscored = name.replaceAll('-', '_');
  return [
    [name, value],
    [name, `${value}-again`],
    [name.toUpperCase(), value],
    [name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()), value],
    [underscored, value],
    [underscored.toUpperCase(), value],
  ];
}

/** Header lines whose name, read as CGI does ('_' as '-', any case), is one of `names`. */
function linesNamed(raw: string[], names: string[]): string[] {
  const want = new Set(names.map((n) => n.toLowerCase()));
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase().replaceAll('_', '-');
    if (want.has(name)) out.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  return out;
}

/** A well-formed token with the same prefix that matches nothing: its last random character changed. */
function forgedLike(token: string): string {
  const random = token.slice(4, 33);
  const last = token.charAt(33) === 'A' ? 'B' : 'A';
  return `tgp_${random}${last}${checksum(random + last)}`;
}

const DEFAULT_NAMES = ['x-forwarded-user', 'x-tokengate-token-id', 'x-tokengate-scope'];
const RENAMED = { user: 'x-remote-user', tokenId: 'x-auth-token-id', scope: 'x-auth-scope' };

describe('spoofed identity headers never reach the upstream through the proxy', () => {
  for (const variant of ['default names', 'renamed and extra stripped names'] as const) {
    describe(variant, () => {
      let up: Awaited<ReturnType<typeof rawUpstream>>;
      let t: TestNode;
      let token: string;
      const names =
        variant === 'default names'
          ? DEFAULT_NAMES
          : [RENAMED.user, RENAMED.tokenId, RENAMED.scope, 'x-webauth-user'];

      before(async () => {
        up = await rawUpstream();
        t = await startTestNode(up.url, (c) => {
          if (variant !== 'default names') {
            c.identityHeaders = { ...RENAMED };
            c.stripHeaders = ['x-webauth-user'];
          }
        });
        await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice' });
        token = (await t.tokenFor('alice', { scope: 'read' })).token;
      });
      after(async () => {
        await t.close();
        await up.close();
      });

      const spoofAll = (): Pairs => names.flatMap((n) => spoofed(n, n === names[0] ? 'admin' : 'evil'));

      for (const [label, auth] of [
        ['anonymous', null],
        ['a password passed on', 'password'],
        ['a foreign Bearer value', 'foreign'],
        ['a valid token', 'token'],
        ['an unknown token (refused)', 'unknown'],
      ] as const) {
        it(`${label}: no client copy of any identity header arrives`, async () => {
          up.seen.length = 0;
          const headers = spoofAll();
          if (auth === 'password') headers.push(['authorization', basicAuth('alice', 'upstream-password')]);
          if (auth === 'foreign') headers.push(['authorization', 'Bearer ghp_someoneElsesOAuthToken']);
          if (auth === 'token') headers.push(['authorization', `Bearer ${token}`]);
          if (auth === 'unknown') headers.push(['authorization', `Bearer ${forgedLike(token)}`]);
          const r = await send(t.url, '/app', headers);
          if (auth === 'unknown') {
            assert.equal(r.status, 401);
            assert.equal(up.seen.length, 0);
            return;
          }
          assert.equal(r.status, 200, r.body);
          const seen = up.seen[0];
          assert.ok(seen);
          const arrived = linesNamed(seen.raw, names);
          if (auth === 'token') {
            // Exactly tokengate's own identity, once per header.
            const userHeader = variant === 'default names' ? 'x-forwarded-user' : RENAMED.user;
            assert.deepEqual(
              arrived.map((l) => l.toLowerCase()).sort(),
              [
                `${userHeader}: alice`,
                `${variant === 'default names' ? 'x-tokengate-scope' : RENAMED.scope}: read`,
                `${variant === 'default names' ? 'x-tokengate-token-id' : RENAMED.tokenId}: ${String(seen.headers[variant === 'default names' ? 'x-tokengate-token-id' : RENAMED.tokenId]).toLowerCase()}`,
              ].sort(),
            );
            assert.match(
              String(seen.headers[variant === 'default names' ? 'x-tokengate-token-id' : RENAMED.tokenId]),
              /^tok_/,
            );
          } else {
            assert.deepEqual(arrived, [], `spoofed headers arrived: ${arrived.join(' | ')}`);
          }
        });
      }
    });
  }
});

describe('spoofed identity headers never reach the application through the middleware', () => {
  let dir: string;
  let tg: Tokengate;
  let app: Server;
  let base: string;
  let token: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-spoof-mw-'));
    tg = await createTokengate({ dataDir: dir, nodeId: 'spoof-app', show: () => undefined });
    await tg.runtime.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'carol' });
    token = (await tg.runtime.ctx.tokens.create(CLI_PRINCIPAL, cli, 'carol', { description: 'mw' })).token;
    // A plain node:http application: it reads headers, rawHeaders and headersDistinct after authenticate().
    app = createServer((req, res) => {
      tg.authenticate(req)
        .then((r) => {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              allowed: r.allowed,
              headers: req.headers,
              raw: req.rawHeaders,
              distinct: req.headersDistinct,
            }),
          );
        })
        .catch((err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  after(async () => {
    app.closeAllConnections();
    await new Promise<void>((r) => app.close(() => r()));
    await tg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const auth of ['anonymous', 'token'] as const) {
    it(`${auth}: gone from headers, rawHeaders and headersDistinct`, async () => {
      const headers = DEFAULT_NAMES.flatMap((n) => spoofed(n, 'admin'));
      if (auth === 'token') headers.push(['authorization', `Bearer ${token}`]);
      const r = await send(base, '/api/x', headers);
      assert.equal(r.status, 200, r.body);
      const body = JSON.parse(r.body) as {
        allowed: boolean;
        headers: Record<string, unknown>;
        raw: string[];
        distinct: Record<string, unknown>;
      };
      assert.equal(body.allowed, true);
      const norm = (k: string) => k.toLowerCase().replaceAll('_', '-');
      assert.deepEqual(
        Object.keys(body.headers).filter((k) => DEFAULT_NAMES.includes(norm(k))),
        [],
      );
      assert.deepEqual(
        Object.keys(body.distinct).filter((k) => DEFAULT_NAMES.includes(norm(k))),
        [],
      );
      assert.deepEqual(linesNamed(body.raw, DEFAULT_NAMES), []);
      // Other headers are untouched.
      assert.ok(body.raw.some((h) => h.toLowerCase() === 'host'));
    });
  }
});

describe('X-Forwarded-For from an untrusted peer never changes the client IP', () => {
  let up: Awaited<ReturnType<typeof rawUpstream>>;
  let t: TestNode;
  let token: string;
  let fenced: string;
  let mark = 0;

  before(async () => {
    up = await rawUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'dave' });
    token = (await t.tokenFor('dave')).token;
    fenced = (await t.tokenFor('dave', { allowedIps: ['203.0.113.0/24'] })).token;
    await t.settings({ 'audit.events.authSuccess': true, 'audit.events.authFailedToken': true });
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  /** Every way a client might claim another address. */
  const claims: OutgoingHttpHeaders = {
    'x-forwarded-for': ['203.0.113.7', '203.0.113.8, 203.0.113.9'],
    X_Forwarded_For: '203.0.113.10',
    forwarded: 'for=203.0.113.11',
    'x-real-ip': '203.0.113.12',
    'true-client-ip': '203.0.113.13',
  };

  const auditSince = async (seq: number): Promise<AuditRecord[]> => {
    await t.node.runtime.auditQueue.flush();
    return (await t.node.ctx.store.audit.search({ category: 'authentication' }, 100)).filter(
      (r) => r.seq > seq,
    );
  };

  it('in the log line and the audit record', async () => {
    const seq = (await t.node.ctx.store.audit.head())?.seq ?? 0;
    mark = t.lines.length;
    const r = await send(t.url, '/who', { ...claims, authorization: `Bearer ${token}` });
    assert.equal(r.status, 200);
    await t.node.logs.flush();
    const line = t.lines.slice(mark).find((l) => l.includes('Found a matching token'));
    assert.match(line ?? '', / INFO dave \S+ - 127\.0\.0\.1 \/who \[auth\]/);
    assert.doesNotMatch(t.lines.slice(mark).join(''), /203\.0\.113\./);
    const records = await auditSince(seq);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.sourceIp, '127.0.0.1');
    assert.equal(records[0]?.proxyIp, null);
    // And the upstream hears only the real peer as X-Forwarded-For.
    assert.equal(up.seen.at(-1)?.headers['x-forwarded-for'], '127.0.0.1');
  });

  it("in the IP allow-lists (the global one and the token's own)", async () => {
    assert.equal((await send(t.url, '/who', { ...claims, authorization: `Bearer ${fenced}` })).status, 403);
    await t.settings({ 'auth.allowedIps': ['203.0.113.0/24'] });
    try {
      assert.equal((await send(t.url, '/who', { ...claims, authorization: `Bearer ${token}` })).status, 403);
      // Through a trusted proxy the same header is believed (the control): the rightmost untrusted hop.
      await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
      assert.equal(
        (
          await send(t.url, '/who', {
            'x-forwarded-for': '10.9.9.9, 203.0.113.7',
            authorization: `Bearer ${fenced}`,
          })
        ).status,
        200,
      );
      // A client behind the trusted proxy cannot pick its address by prepending one.
      assert.equal(
        (
          await send(t.url, '/who', {
            'x-forwarded-for': '203.0.113.7, 10.9.9.9',
            authorization: `Bearer ${fenced}`,
          })
        ).status,
        403,
      );
    } finally {
      await t.settings({ 'auth.allowedIps': [], 'auth.trustedProxies': [] });
    }
  });

  it('at the management API, in the audit record of a change', async () => {
    const seq = (await t.node.ctx.store.audit.head())?.seq ?? 0;
    const r = await fetch(`${t.adminUrl}/_tokengate/api/v1/tokens`, {
      method: 'POST',
      headers: {
        authorization: basicAuth('admin', 'admin-password-1'),
        'content-type': 'application/json',
        'x-forwarded-for': '203.0.113.7',
      },
      body: JSON.stringify({ description: 'spoof check' }),
    });
    assert.equal(r.status, 201);
    const created = (await t.node.ctx.store.audit.search({ action: 'token.created' }, 10)).filter(
      (x) => x.seq > seq,
    );
    assert.equal(created[0]?.sourceIp, '127.0.0.1');
    assert.equal(created[0]?.proxyIp, null);
  });

  it('in the middleware', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spoof-xff-'));
    const tg = await createTokengate({ dataDir: dir, nodeId: 'xff-app', show: () => undefined });
    try {
      const r = await tg.authenticate({
        method: 'GET',
        url: '/x',
        headers: { 'x-forwarded-for': '203.0.113.7' },
        socket: { remoteAddress: '::ffff:192.0.2.1' },
      });
      assert.equal(r.client.clientIp, '192.0.2.1');
      assert.equal(r.client.proxyIp, null);
    } finally {
      await tg.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('forward-auth believes the original method and URI only from a trusted proxy', () => {
  let t: TestNode;
  let read: string;
  let mark = 0;

  before(async () => {
    t = await startTestNode(null);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'erin' });
    read = (await t.tokenFor('erin', { scope: 'read' })).token;
  });
  after(() => t.close());

  const auth = (headers: OutgoingHttpHeaders, method = 'GET') =>
    send(t.url, '/_tokengate/auth', headers, method);

  it('refuses X-Original-*/X-Forwarded-Method/-Uri from an untrusted peer, in any case, with 403', async () => {
    mark = t.lines.length;
    for (const h of [
      { 'x-original-uri': '/app' },
      { 'X-Original-Method': 'GET' },
      { 'X-FORWARDED-URI': '/app' },
      { 'x-forwarded-method': ['GET', 'GET'] },
    ]) {
      const r = await auth({ ...h, authorization: `Bearer ${read}` });
      assert.equal(r.status, 403, JSON.stringify(h));
      // Two copies are refused by the server before forward-auth looks (src/http/server.ts).
      if (!Array.isArray(Object.values(h)[0]))
        assert.match(r.body, /accepted only from a trusted proxy \(auth\.trustedProxies\)/);
    }
    // Said once in the log (the rest of the minute is counted, not repeated).
    await t.node.logs.flush();
    const warned = t.lines.slice(mark).filter((l) => l.includes('not in auth.trustedProxies'));
    assert.equal(warned.length, 1);
    assert.match(warned[0] ?? '', / WARN .*from 127\.0\.0\.1, which is not in auth\.trustedProxies/);
  });

  it('decides a direct call without those headers on its own method and path', async () => {
    assert.equal((await auth({ authorization: `Bearer ${read}` })).status, 200);
    assert.equal((await auth({ authorization: `Bearer ${read}` }, 'POST')).status, 403);
    // Underscore spellings are not the headers at all: ignored, so a POST stays a POST.
    assert.equal(
      (
        await auth(
          { authorization: `Bearer ${read}`, x_original_method: 'GET', X_Forwarded_Method: 'GET' },
          'POST',
        )
      ).status,
      403,
    );
  });

  it('believes them from a trusted proxy', async () => {
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
    try {
      const ok = await auth({
        authorization: `Bearer ${read}`,
        'x-original-method': 'GET',
        'x-original-uri': '/app',
      });
      assert.equal(ok.status, 200);
      const write = await auth({
        authorization: `Bearer ${read}`,
        'x-forwarded-method': 'POST',
        'x-forwarded-uri': '/app',
      });
      assert.equal(write.status, 403);
      assert.match(write.body, /method type was POST/);
    } finally {
      await t.settings({ 'auth.trustedProxies': [] });
    }
  });
});
