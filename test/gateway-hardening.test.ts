import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/** Raw HTTP, so the request target reaches the gateway exactly as written (fetch would normalise it). */
function raw(
  t: TestNode,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; body: string }> {
  const u = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('gateway hardening (from the security review)', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let read: string;
  let write: string;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'hal' });
    read = (await t.tokenFor('hal', { scope: 'read' })).token;
    write = (await t.tokenFor('hal', { scope: 'write' })).token;
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  it('refuses request targets an upstream could route differently, before anything reaches it', async () => {
    for (const path of [
      '/repo.git/git-receive-pack#/git-upload-pack',
      '/api/search/%2e%2e/%2e%2e/admin/delete',
      '/api/search/../admin',
      '/api%2fadmin',
      'http://127.0.0.1/abs',
      '*',
    ]) {
      up.seen.length = 0;
      const r = await raw(t, path === '*' ? 'OPTIONS' : 'POST', path, { authorization: `Bearer ${read}` });
      assert.equal(r.status, 400, path);
      assert.equal(up.seen.length, 0, path);
    }
    // The same through forward-auth (from a trusted proxy, which X-Original-* needs): 403, which nginx passes on.
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1/32'] });
    const fa = await fetch(`${t.url}/_tokengate/auth`, {
      headers: {
        authorization: `Bearer ${read}`,
        'x-original-method': 'POST',
        'x-original-uri': '/repo.git/git-receive-pack#/git-upload-pack',
      },
    });
    assert.equal(fa.status, 403);
  });

  it('with auth.requireAuthentication, a password or a foreign Bearer value no longer passes', async () => {
    await t.settings({ 'auth.requireAuthentication': true });
    try {
      assert.equal(
        (await fetch(`${t.url}/x`, { headers: { authorization: basicAuth('x', 'x') } })).status,
        401,
      );
      assert.equal((await fetch(`${t.url}/x`, { headers: { authorization: 'Bearer x' } })).status, 401);
      assert.equal((await fetch(`${t.url}/x`, { headers: { authorization: `Bearer ${read}` } })).status, 200);
    } finally {
      await t.settings({ 'auth.requireAuthentication': false });
    }
  });

  it('strips identity headers spelled with underscores', async () => {
    up.seen.length = 0;
    await raw(t, 'GET', '/x', { X_Forwarded_User: 'admin', x_tokengate_scope: 'write' });
    const seen = up.seen[0];
    assert.ok(seen);
    assert.equal(seen.headers.x_forwarded_user, undefined);
    assert.equal(seen.headers.x_tokengate_scope, undefined);
  });

  it('uploads with Expect: 100-continue, and answers a refused one without asking for the body', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 0x62);
    const ok = await raw(
      t,
      'POST',
      '/upload',
      { authorization: `Bearer ${write}`, expect: '100-continue', 'content-length': String(body.length) },
      body,
    );
    assert.equal(ok.status, 200);
    const refused = await raw(
      t,
      'POST',
      '/upload',
      { authorization: `Bearer ${read}`, expect: '100-continue', 'content-length': String(body.length) },
      body,
    );
    assert.equal(refused.status, 403);
  });

  it('passes a long Negotiate header through untouched', async () => {
    up.seen.length = 0;
    const r = await raw(t, 'GET', '/kerberos', { authorization: `Negotiate ${'A'.repeat(12_000)}` });
    assert.equal(r.status, 200);
    assert.equal(up.seen[0]?.headers.authorization?.length, 'Negotiate '.length + 12_000);
  });

  it('accepts a logger named like an Object.prototype member', async () => {
    await t.settings({
      'log.levels': { root: 'INFO', auth: 'INFO', ratelimit: 'INFO', constructor: 'DEBUG' },
    });
    const [rec] = await t.node.ctx.store.audit.search({ action: 'log.level.changed' }, 1);
    assert.deepEqual(rec?.details, { logger: 'constructor', oldLevel: null, newLevel: 'DEBUG' });
  });
});
