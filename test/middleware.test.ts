import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { createTokengate, type Tokengate, type TokengateRequestInfo } from '../src/middleware/index.js';
import { cli } from './support/node.js';

describe('embeddable middleware', () => {
  let dir: string;
  let tg: Tokengate;
  let write: string;
  let read: string;
  let limited: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-mw-'));
    tg = await createTokengate({ dataDir: dir, nodeId: 'app-node', show: () => undefined });
    const { ctx } = tg.runtime;
    await ctx.users.create(CLI_PRINCIPAL, cli, { username: 'carol', groups: ['dev'] });
    write = (
      await ctx.tokens.create(CLI_PRINCIPAL, cli, 'carol', { description: 'mw write', scope: 'write' })
    ).token;
    read = (await ctx.tokens.create(CLI_PRINCIPAL, cli, 'carol', { description: 'mw read', scope: 'read' }))
      .token;
    limited = (
      await ctx.tokens.create(CLI_PRINCIPAL, cli, 'carol', {
        description: 'mw limited',
        scope: 'read',
        rateLimit: { requests: 100, windowSeconds: 60 },
      })
    ).token;
  });
  after(async () => {
    await tg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is what the package exports, compiled, with its types', async () => {
    const pkg = (await import('tokengate')) as { createTokengate?: unknown };
    assert.equal(typeof pkg.createTokengate, 'function');
    const { existsSync } = await import('node:fs');
    assert.ok(existsSync(new URL('../dist/middleware/index.d.ts', import.meta.url)));
  });

  it('decides a plain request with authenticate()', async () => {
    const ok = await tg.authenticate({
      method: 'GET',
      url: '/x?y=1',
      headers: { authorization: `Bearer ${read}` },
      socket: { remoteAddress: '127.0.0.1' },
    });
    assert.equal(ok.allowed, true);
    assert.equal(ok.identity?.user, 'carol');
    assert.equal(ok.identity?.scope, 'read');
    const denied = await tg.authenticate({
      method: 'DELETE',
      url: '/x',
      headers: { authorization: `Bearer ${read}` },
    });
    assert.equal(denied.allowed, false);
    assert.equal(denied.status, 403);
    const anon = await tg.authenticate({ method: 'GET', url: '/', headers: {} });
    assert.equal(anon.outcome.kind, 'anonymous');
  });

  it('refuses a request with two Authorization headers, of which Node keeps only the first', async () => {
    const r = await tg.authenticate({
      method: 'GET',
      url: '/x',
      headers: { authorization: `Bearer ${read}` },
      rawHeaders: ['Authorization', `Bearer ${read}`, 'authorization', 'Basic YWRtaW46eA=='],
      socket: { remoteAddress: '127.0.0.1' },
    });
    assert.equal(r.allowed, false);
    assert.equal(r.status, 403);
    assert.match(r.message, /more than one authorization header/);
  });

  for (const framework of ['express', 'fastify'] as const) {
    describe(framework, () => {
      let base: string;
      let close: () => Promise<void>;

      before(async () => {
        const answer = (info: TokengateRequestInfo | undefined | null, headers: Record<string, unknown>) => ({
          tokengate: info ?? null,
          sawUserHeader: headers['x-forwarded-user'] ?? null,
          sawAuthorization: headers.authorization ?? null,
        });
        if (framework === 'express') {
          const app = express();
          app.use(tg.express());
          app.all('/api/*', (req, res) => {
            res.json(answer((req as unknown as { tokengate?: TokengateRequestInfo }).tokengate, req.headers));
          });
          const server: Server = await new Promise((resolve) => {
            const s = app.listen(0, '127.0.0.1', () => resolve(s));
          });
          base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          close = () => new Promise((r) => server.close(() => r()));
        } else {
          const app = Fastify();
          await app.register(tg.fastify);
          app.all('/api/*', async (request) =>
            answer((request as unknown as { tokengate?: TokengateRequestInfo }).tokengate, request.headers),
          );
          await app.listen({ port: 0, host: '127.0.0.1' });
          base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
          close = () => app.close();
        }
      });
      after(() => close());

      it('sets the identity on an authenticated request', async () => {
        const r = await fetch(`${base}/api/items`, {
          method: 'POST',
          headers: { authorization: `Bearer ${write}` },
        });
        assert.equal(r.status, 200);
        const body = (await r.json()) as { tokengate: TokengateRequestInfo };
        assert.equal(body.tokengate.outcome, 'authenticated');
        assert.equal(body.tokengate.identity?.user, 'carol');
        assert.equal(body.tokengate.identity?.scope, 'write');
        assert.equal(body.tokengate.clientIp, '127.0.0.1');
      });

      it('refuses a read token on a write with 403 and a JSON error, before the route runs', async () => {
        const r = await fetch(`${base}/api/items`, {
          method: 'POST',
          headers: { authorization: `Bearer ${read}` },
        });
        assert.equal(r.status, 403);
        const body = (await r.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'forbidden');
        assert.match(body.error.message, /method type was POST/);
      });

      it('answers 401 with WWW-Authenticate to a token-shaped secret that matches nothing', async () => {
        const { checksum } = await import('../src/domain/token/format.js');
        const forged = `tgp_${'B'.repeat(30)}${checksum('B'.repeat(30))}`;
        const r = await fetch(`${base}/api/items`, { headers: { authorization: `Bearer ${forged}` } });
        assert.equal(r.status, 401);
        assert.match(String(r.headers.get('www-authenticate')), /Bearer realm="tokengate"/);
      });

      it('removes the token from the request once it authenticated, so the route cannot log or forward it', async () => {
        const r = await fetch(`${base}/api/items`, { headers: { authorization: `Bearer ${write}` } });
        assert.equal(r.status, 200);
        const body = (await r.json()) as { tokengate: TokengateRequestInfo; sawAuthorization: unknown };
        assert.equal(body.tokengate.identity?.user, 'carol');
        assert.equal(body.sawAuthorization, null);
        // A password is not tokengate's to take: it goes on to the application's own check.
        const password = `Basic ${Buffer.from('carol:a-password').toString('base64')}`;
        const p = await fetch(`${base}/api/items`, { headers: { authorization: password } });
        assert.equal(p.status, 200);
        assert.equal(((await p.json()) as { sawAuthorization: unknown }).sawAuthorization, password);
      });

      it('an allowed request of a rate-limited token carries the RateLimit headers', async () => {
        const r = await fetch(`${base}/api/items`, { headers: { authorization: `Bearer ${limited}` } });
        assert.equal(r.status, 200);
        assert.match(String(r.headers.get('ratelimit')), /^"token";r=\d+;t=\d+$/);
        assert.equal(r.headers.get('ratelimit-policy'), '"token";q=100;w=60');
        await r.arrayBuffer();
      });

      it('lets anonymous requests through without an identity, and strips a spoofed identity header', async () => {
        const r = await fetch(`${base}/api/items`, { headers: { 'x-forwarded-user': 'admin' } });
        assert.equal(r.status, 200);
        const body = (await r.json()) as { tokengate: TokengateRequestInfo; sawUserHeader: unknown };
        assert.equal(body.tokengate.outcome, 'anonymous');
        assert.equal(body.tokengate.identity, null);
        assert.equal(body.sawUserHeader, null);
      });
    });
  }
});
