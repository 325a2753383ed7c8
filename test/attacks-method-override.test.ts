import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/permissions.js';
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
