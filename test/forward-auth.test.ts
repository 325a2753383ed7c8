import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { cli, startTestNode, type TestNode } from './support/node.js';

/** /_tokengate/auth called the way Traefik and Caddy call it (X-Forwarded-Method / X-Forwarded-Uri). */
describe('forward-auth endpoint', () => {
  let t: TestNode;
  let read: string;
  let write: string;

  before(async () => {
    t = await startTestNode(null);
    // This test calls as the proxy would: X-Original-*/X-Forwarded-* are believed only from a trusted one.
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'fay' });
    read = (await t.tokenFor('fay', { scope: 'read', description: 'fa read' })).token;
    write = (
      await t.tokenFor('fay', {
        scope: 'write',
        description: 'fa write',
        rateLimit: { requests: 1, windowSeconds: 60 },
      })
    ).token;
  });
  after(() => t.close());

  const auth = (headers: Record<string, string>) => fetch(`${t.url}/_tokengate/auth`, { headers });

  it('answers 200 with the identity headers for a valid token', async () => {
    const r = await auth({
      authorization: `Bearer ${read}`,
      'x-forwarded-method': 'GET',
      'x-forwarded-uri': '/app/page?x=1',
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-forwarded-user'), 'fay');
    assert.equal(r.headers.get('x-tokengate-scope'), 'read');
    assert.match(String(r.headers.get('x-tokengate-token-id')), /^tok_/);
    assert.equal(r.headers.get('x-tokengate-outcome'), 'authenticated');
  });

  it('judges the original method: a read token with POST gets 403', async () => {
    const r = await auth({
      authorization: `Bearer ${read}`,
      'x-forwarded-method': 'POST',
      'x-forwarded-uri': '/app/page',
    });
    assert.equal(r.status, 403);
  });

  it('refuses when X-Original-* and X-Forwarded-* disagree, so a client cannot claim another method', async () => {
    const r = await auth({
      authorization: `Bearer ${read}`,
      'x-forwarded-method': 'POST',
      'x-original-method': 'GET',
      'x-forwarded-uri': '/a',
    });
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /conflicting/);
    const uri = await auth({
      authorization: `Bearer ${read}`,
      'x-forwarded-uri': '/a',
      'x-original-uri': '/b',
    });
    assert.equal(uri.status, 403);
    // Agreeing pairs are fine.
    const same = await auth({
      authorization: `Bearer ${read}`,
      'x-forwarded-method': 'get',
      'x-original-method': 'GET',
    });
    assert.equal(same.status, 200);
  });

  it('answers 401 with WWW-Authenticate for an unknown token, and 200 without identity for anonymous', async () => {
    const { checksum } = await import('../src/domain/token/format.js');
    const r = await auth({ authorization: `Bearer tgp_${'C'.repeat(30)}${checksum('C'.repeat(30))}` });
    assert.equal(r.status, 401);
    assert.match(String(r.headers.get('www-authenticate')), /Basic realm="tokengate"/);
    const anon = await auth({});
    assert.equal(anon.status, 200);
    assert.equal(anon.headers.get('x-forwarded-user'), null);
    assert.equal(anon.headers.get('x-tokengate-outcome'), 'anonymous');
  });

  it('answers 429 with Retry-After once the token is over its limit', async () => {
    assert.equal((await auth({ authorization: `Bearer ${write}` })).status, 200);
    const r = await auth({ authorization: `Bearer ${write}` });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '60');
  });
});
