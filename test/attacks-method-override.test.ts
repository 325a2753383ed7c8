import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { createTokengate, type Tokengate } from '../src/middleware/index.js';
import { recordAuthorization } from './support/artifacts.js';
import { cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Finding 12 (method override) of issue 14: `X-HTTP-Method-Override: DELETE` on a read token's GET
 * reached the upstream, and Express method-override, ASP.NET, Google's APIs and OData upstreams act
 * on it as a DELETE. The decision now judges the overridden method too (a read token needs both the
 * real and the overridden method to be reads); several differing or invalid values are refused.
 */

const OVERRIDES = ['X-HTTP-Method-Override', 'X-Method-Override', 'X-HTTP-Method'];

const bearer = (secret: string): string => {
  const value = `Bearer ${secret}`;
  recordAuthorization(value);
  return value;
};

describe('method-override headers (issue 14, finding 12)', () => {
  let t: TestNode;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let read: string;
  let write: string;

  before(async () => {
    upstream = await startEchoUpstream();
    t = await startTestNode(upstream.url);
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1/32'] });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'dave', groups: ['dev'] });
    read = (await t.tokenFor('dave', { scope: 'read' })).token;
    write = (await t.tokenFor('dave', { scope: 'write' })).token;
  });
  after(async () => {
    await t?.close();
    await upstream?.close();
  });

  const get = (path: string, headers: Record<string, string>): Promise<Response> =>
    fetch(`${t.url}${path}`, { headers });

  it('proxy: a read token GET with any override header to a write method is refused and never reaches the upstream', async () => {
    for (const name of OVERRIDES) {
      for (const value of ['DELETE', 'delete', 'PUT', 'POST']) {
        const before = upstream.seen.length;
        const r = await get('/orders/1', { authorization: bearer(read), [name]: value });
        assert.equal(r.status, 403, `${name}: ${value}: ${await r.text()}`);
        assert.equal(upstream.seen.length, before, `${name}: ${value} reached the upstream`);
      }
    }
  });

  it('proxy: the _method query parameter (Rails, Laravel, Symfony, Express method-override) is judged too', async () => {
    const before = upstream.seen.length;
    const r = await get('/orders/1?_method=DELETE', { authorization: bearer(read) });
    assert.equal(r.status, 403, await r.text());
    assert.equal(upstream.seen.length, before);
  });

  it('proxy: an override to a read method passes for a read token; a write token passes with any override', async () => {
    const ok = await get('/orders/1', { authorization: bearer(read), 'X-HTTP-Method-Override': 'GET' });
    assert.equal(ok.status, 200, await ok.text());
    const w = await get('/orders/1', { authorization: bearer(write), 'X-HTTP-Method-Override': 'DELETE' });
    assert.equal(w.status, 200, await w.text());
    assert.equal(upstream.seen.at(-1)?.headers['x-http-method-override'], 'DELETE');
  });

  it('proxy: differing or invalid override values are refused with 400 before authentication', async () => {
    const cases: Array<Record<string, string>> = [
      { 'X-HTTP-Method-Override': 'GET', 'X-Method-Override': 'DELETE' },
      { 'X-HTTP-Method-Override': 'GET, DELETE' },
      { 'X-HTTP-Method-Override': 'DEL ETE' },
      { 'X-HTTP-Method-Override': '' },
    ];
    for (const headers of cases) {
      const before = upstream.seen.length;
      const r = await get('/orders/1', { authorization: bearer(write), ...headers });
      assert.equal(r.status, 400, `${JSON.stringify(headers)}: ${await r.text()}`);
      assert.equal(upstream.seen.length, before);
    }
    const q = await get('/orders/1?_method=GET', {
      authorization: bearer(write),
      'X-HTTP-Method-Override': 'DELETE',
    });
    assert.equal(q.status, 400, await q.text());
  });

  it('forward-auth: nginx passes the client headers to the subrequest, and the override is judged', async () => {
    const r = await get('/_tokengate/auth', {
      authorization: bearer(read),
      'x-original-method': 'GET',
      'x-original-uri': '/orders/1',
      'X-HTTP-Method-Override': 'DELETE',
    });
    assert.equal(r.status, 403, await r.text());
    const q = await get('/_tokengate/auth', {
      authorization: bearer(read),
      'x-original-method': 'GET',
      'x-original-uri': '/orders/1?_method=PATCH',
    });
    assert.equal(q.status, 403, await q.text());
    const ok = await get('/_tokengate/auth', {
      authorization: bearer(read),
      'x-original-method': 'GET',
      'x-original-uri': '/orders/1',
    });
    assert.equal(ok.status, 200, await ok.text());
  });

  /**
   * Red team, round two (F3): CGI, WSGI and Rack hosts fold `_` into `-` (HTTP_X_HTTP_METHOD_OVERRIDE),
   * PHP mangles query keys (`.`, space and a first `[` become `_`) and `qs` decodes `%5f`: every one of
   * these spellings reached the upstream with a read token.
   */
  const SPELLED = ['X_HTTP_Method_Override', 'X_HTTP_METHOD', 'X_Method_Override', 'x-http_method-override'];
  const QUERIES = [
    '%5fmethod',
    '%5Fmethod',
    '.method',
    '+method',
    '%20method',
    '[method',
    '_%6dethod',
    '_method%00x',
  ];

  it('proxy: override headers in every spelling a CGI/WSGI/Rack host folds together are judged', async () => {
    for (const name of SPELLED) {
      const before = upstream.seen.length;
      const r = await fetch(`${t.url}/x/git-upload-pack`, {
        method: 'POST',
        headers: {
          authorization: bearer(read),
          'content-type': 'application/x-git-upload-pack-request',
          [name]: 'DELETE',
        },
        body: '0000',
      });
      assert.equal(r.status, 403, `POST with ${name}: ${await r.text()}`);
      const g = await get('/x', { authorization: bearer(read), [name]: 'DELETE' });
      assert.equal(g.status, 403, `GET with ${name}: ${await g.text()}`);
      assert.equal(upstream.seen.length, before, `${name} reached the upstream`);
    }
  });

  it('proxy: _method spelt as PHP, qs or a lenient decoder reads it is judged', async () => {
    for (const key of QUERIES) {
      const before = upstream.seen.length;
      const r = await fetch(`${t.url}/x/git-upload-pack?${key}=DELETE`, {
        method: 'POST',
        headers: { authorization: bearer(read), 'content-type': 'application/x-git-upload-pack-request' },
        body: '0000',
      });
      assert.equal(r.status, 403, `?${key}=DELETE: ${await r.text()}`);
      assert.equal(upstream.seen.length, before, `?${key}=DELETE reached the upstream`);
    }
    // Separated by ";" (older Rack, Python's parse_qs before 3.9.2) and with an array key (PHP, qs).
    for (const q of ['a=1;_method=DELETE', '_method[]=DELETE']) {
      const r = await get(`/x?${q}`, { authorization: bearer(read) });
      assert.equal(r.status, 403, `?${q}: ${await r.text()}`);
    }
  });

  it('proxy: two spellings of one override that disagree are refused (400)', async () => {
    const r = await get('/x', {
      authorization: bearer(write),
      'X-HTTP-Method-Override': 'GET',
      X_HTTP_Method_Override: 'DELETE',
    });
    assert.equal(r.status, 400, await r.text());
    const q = await get('/x?_method=GET&%5fmethod=DELETE', { authorization: bearer(write) });
    assert.equal(q.status, 400, await q.text());
  });

  it('proxy: ordinary parameters that merely contain "method" still pass', async () => {
    for (const q of ['payment_method=card', 'method=x', 'a_method=DELETE', '_methods=DELETE']) {
      const r = await get(`/x?${q}`, { authorization: bearer(read) });
      assert.equal(r.status, 200, `?${q}: ${await r.text()}`);
    }
  });

  it('forward-auth: override spellings in headers and in X-Forwarded-Uri are judged', async () => {
    const h = await get('/_tokengate/auth', {
      authorization: bearer(read),
      'x-forwarded-method': 'POST',
      'x-forwarded-uri': '/x/git-upload-pack',
      'content-type': 'application/x-git-upload-pack-request',
      X_HTTP_Method_Override: 'DELETE',
    });
    assert.equal(h.status, 403, await h.text());
    const q = await get('/_tokengate/auth', {
      authorization: bearer(read),
      'x-forwarded-method': 'POST',
      'x-forwarded-uri': '/x/git-upload-pack?%5fmethod=DELETE',
      'content-type': 'application/x-git-upload-pack-request',
    });
    assert.equal(q.status, 403, await q.text());
  });

  describe('middleware', () => {
    let dir: string;
    let tg: Tokengate;
    let mwRead: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tg-mw-override-'));
      tg = await createTokengate({ dataDir: dir, nodeId: 'override-node', show: () => undefined });
      const { ctx } = tg.runtime;
      await ctx.users.create(CLI_PRINCIPAL, cli, { username: 'erin', groups: ['dev'] });
      mwRead = (await ctx.tokens.create(CLI_PRINCIPAL, cli, 'erin', { description: 'r', scope: 'read' }))
        .token;
    });
    after(async () => {
      await tg?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('judges the overridden method for a read token', async () => {
      for (const name of OVERRIDES) {
        const r = await tg.authenticate({
          method: 'GET',
          url: '/orders/1',
          headers: { authorization: bearer(mwRead), [name.toLowerCase()]: 'DELETE' },
          socket: { remoteAddress: '127.0.0.1' },
        });
        assert.equal(r.allowed, false, name);
        assert.equal(r.status, 403, name);
      }
      // Express and Fastify hand over Node's request: its rawHeaders keep every spelling.
      const raw = await tg.authenticate({
        method: 'GET',
        url: '/orders/1?%5fmethod=DELETE',
        headers: { authorization: bearer(mwRead) },
        rawHeaders: ['Authorization', bearer(mwRead)],
        socket: { remoteAddress: '127.0.0.1' },
      });
      assert.equal(raw.status, 403, 'encoded _method');
      const spelled = await tg.authenticate({
        method: 'GET',
        url: '/orders/1',
        headers: { authorization: bearer(mwRead), x_http_method_override: 'DELETE' },
        rawHeaders: ['Authorization', bearer(mwRead), 'X_HTTP_Method_Override', 'DELETE'],
        socket: { remoteAddress: '127.0.0.1' },
      });
      assert.equal(spelled.status, 403, 'X_HTTP_Method_Override');
      const ok = await tg.authenticate({
        method: 'GET',
        url: '/orders/1',
        headers: { authorization: bearer(mwRead) },
        socket: { remoteAddress: '127.0.0.1' },
      });
      assert.equal(ok.allowed, true);
    });
  });
});
