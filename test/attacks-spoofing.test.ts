import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { checksum } from '../src/domain/token/format.js';
import { createTokengate, type Tokengate } from '../src/middleware/index.js';
import { basicAuth, cli, startTestNode, type TestNode } from './support/node.js';
import { rawUpstream, send, type Pairs } from './support/spoofing.js';

/**
 * Header spoofing: identity headers a client sends never reach the application, in any spelling or
 * number of copies, through the proxy and through the middleware. Spoofed client addresses and
 * forward-auth's original method and URI are in attacks-spoofing-client-ip.test.ts.
 */

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
