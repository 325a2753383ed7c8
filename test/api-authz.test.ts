import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, basic, bearer, call, harness, type Harness } from './support/harness.js';

/**
 * The authorization matrix of the management API: owner, another user, a token manager, an admin,
 * read and write tokens, and anonymous callers.
 */
describe('management API authorization', () => {
  let h: Harness;
  let alice: string; // write token
  let aliceRead: string;
  let bob: string;
  let manager: string;
  const admin = basic('admin', ADMIN_PASSWORD);
  let aliceTokenId: string;

  before(async () => {
    h = await harness();
    await h.addUser('alice', ['dev'], 'alice-password-1');
    await h.addUser('bob', ['dev']);
    await h.addUser('mia', ['managers'], 'mia-password-1');
    await h.ctx.settings.update(
      { username: 'admin', groups: ['admin'], via: 'password' },
      { author: 'admin', sourceIp: null, proxyIp: null, requestId: null, method: null, endpoint: null },
      {
        'permissions.manageAllTokens': ['managers'],
      },
    );
    alice = (await h.tokenFor('alice', 'write')).token;
    aliceRead = (await h.tokenFor('alice', 'read')).token;
    bob = (await h.tokenFor('bob', 'write')).token;
    manager = (await h.tokenFor('mia', 'write')).token;
    const created = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      // Tokens cannot create tokens: alice signs in with her password for that.
      auth: basic('alice', 'alice-password-1'),
      body: { description: 'alice private' },
    });
    assert.equal(created.statusCode, 201);
    aliceTokenId = (created.data as { record: { id: string } }).record.id;
  });
  after(() => h.close());

  const PROTECTED: Array<[string, string]> = [
    ['GET', '/me'],
    ['GET', '/tokens'],
    ['POST', '/tokens'],
    ['GET', '/tokens/tok_x'],
    ['PATCH', '/tokens/tok_x'],
    ['DELETE', '/tokens/tok_x'],
    ['GET', '/admin/tokens'],
    ['GET', '/admin/tokens/tok_x'],
    ['DELETE', '/admin/tokens/tok_x'],
    ['POST', '/admin/users/alice/tokens'],
    ['DELETE', '/admin/users/alice/tokens'],
    ['GET', '/admin/users'],
    ['POST', '/admin/users'],
    ['GET', '/admin/users/alice'],
    ['PATCH', '/admin/users/alice'],
    ['DELETE', '/admin/users/alice'],
    ['GET', '/admin/settings'],
    ['PATCH', '/admin/settings'],
  ];

  it('answers 401 with WWW-Authenticate to anonymous calls on every protected route', async () => {
    for (const [method, url] of PROTECTED) {
      const r = await call(h.api, {
        method: method,
        url,
        body: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      assert.equal(r.statusCode, 401, `${method} ${url}`);
      assert.match(String(r.headers['www-authenticate']), /Basic realm="tokengate"/, `${method} ${url}`);
      assert.equal((r.data as { error: { code: string } }).error.code, 'unauthorized');
    }
  });

  it('answers 401 to a wrong password, an unknown token and a malformed header', async () => {
    for (const auth of [
      basic('admin', 'wrong-password'),
      bearer('tgp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      'Basic !!!',
      bearer(`${alice}x`),
    ]) {
      const r = await call(h.api, { method: 'GET', url: '/me', auth });
      assert.equal(r.statusCode, 401, auth);
    }
  });

  it('serves health and the OpenAPI document without credentials', async () => {
    const health = await call(h.api, { method: 'GET', url: '/_tokengate/health' });
    assert.equal(health.statusCode, 200);
    assert.equal((health.data as { database: string }).database, 'ok');
    const doc = await call(h.api, { method: 'GET', url: '/openapi.json' });
    assert.equal(doc.statusCode, 200);
    const paths = Object.keys((doc.data as { paths: Record<string, unknown> }).paths);
    for (const [, url] of PROTECTED) {
      const templ = `/_tokengate/api/v1${url.replace('tok_x', '{id}').replace('/users/alice', '/users/{user}')}`;
      assert.ok(paths.includes(templ), `OpenAPI lacks ${templ}`);
    }
  });

  it("keeps user A's tokens invisible to user B, who can neither read nor revoke them", async () => {
    const list = await call(h.api, { method: 'GET', url: '/tokens', auth: bearer(bob) });
    assert.equal(list.statusCode, 200);
    assert.ok(!(list.data as { items: Array<{ user: string }> }).items.some((t) => t.user !== 'bob'));
    assert.equal(
      (await call(h.api, { method: 'GET', url: `/tokens/${aliceTokenId}`, auth: bearer(bob) })).statusCode,
      404,
    );
    assert.equal(
      (
        await call(h.api, {
          method: 'PATCH',
          url: `/tokens/${aliceTokenId}`,
          auth: bearer(bob),
          body: { description: 'pwned' },
        })
      ).statusCode,
      404,
    );
    assert.equal(
      (await call(h.api, { method: 'DELETE', url: `/tokens/${aliceTokenId}`, auth: bearer(bob) })).statusCode,
      404,
    );
    const stillThere = await call(h.api, {
      method: 'GET',
      url: `/tokens/${aliceTokenId}`,
      auth: bearer(alice),
    });
    assert.equal((stillThere.data as { status: string; description: string }).status, 'active');
    assert.equal((stillThere.data as { description: string }).description, 'alice private');
  });

  it('refuses the token manager and administration to a plain user with 403', async () => {
    const calls: Array<[string, string, unknown?]> = [
      ['GET', '/admin/tokens'],
      ['GET', `/admin/tokens/${aliceTokenId}`],
      ['DELETE', `/admin/tokens/${aliceTokenId}`],
      ['POST', '/admin/users/alice/tokens', { description: 'for alice' }],
      ['DELETE', '/admin/users/alice/tokens'],
      ['GET', '/admin/users'],
      ['POST', '/admin/users', { username: 'eve' }],
      ['PATCH', '/admin/users/alice', { disabled: true }],
      ['DELETE', '/admin/users/alice'],
      ['GET', '/admin/settings'],
      ['PATCH', '/admin/settings', { 'auth.basicPasswords': false }],
    ];
    for (const [method, url, body] of calls) {
      const r = await call(h.api, { method: method, url, auth: bearer(bob), body });
      assert.equal(r.statusCode, 403, `${method} ${url}`);
    }
    assert.equal((await h.ctx.store.tokens.findById(aliceTokenId))?.revokedAt, null);
    assert.equal((await h.ctx.store.users.find('alice'))?.disabled, false);
  });

  it("lets a token manager see, create and revoke anyone's tokens, but not administer users or settings", async () => {
    const page = await call(h.api, { method: 'GET', url: '/admin/tokens?user=alice', auth: bearer(manager) });
    assert.equal(page.statusCode, 200);
    assert.ok((page.data as { items: Array<{ id: string }> }).items.some((t) => t.id === aliceTokenId));
    const created = await call(h.api, {
      method: 'POST',
      url: '/admin/users/alice/tokens',
      auth: basic('mia', 'mia-password-1'),
      body: { description: 'made by mia', scope: 'write' },
    });
    assert.equal(created.statusCode, 201);
    const rec = (created.data as { record: { user: string; createdBy: string; scope: string; id: string } })
      .record;
    assert.deepEqual([rec.user, rec.createdBy, rec.scope], ['alice', 'mia', 'write']);
    assert.equal(
      (await call(h.api, { method: 'DELETE', url: `/admin/tokens/${rec.id}`, auth: bearer(manager) }))
        .statusCode,
      204,
    );
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/admin/users', auth: bearer(manager) })).statusCode,
      403,
    );
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/admin/settings', auth: bearer(manager) })).statusCode,
      403,
    );
  });

  it('lets an admin do everything, including revoking all tokens of a user', async () => {
    await h.addUser('carl');
    const t1 = await h.tokenFor('carl', 'read');
    await h.tokenFor('carl', 'write');
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(t1.token) })).statusCode, 200);
    const r = await call(h.api, { method: 'DELETE', url: '/admin/users/carl/tokens', auth: admin });
    assert.equal(r.statusCode, 200);
    assert.equal((r.data as { revoked: number }).revoked, 2);
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(t1.token) })).statusCode, 401);
    assert.equal((await call(h.api, { method: 'GET', url: '/admin/users', auth: admin })).statusCode, 200);
    assert.equal((await call(h.api, { method: 'GET', url: '/admin/settings', auth: admin })).statusCode, 200);
  });

  it('limits a read token to reading', async () => {
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/tokens', auth: bearer(aliceRead) })).statusCode,
      200,
    );
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(aliceRead) })).statusCode, 200);
    for (const [method, url, body] of [
      ['POST', '/tokens', { description: 'from a read token' }],
      ['PATCH', `/tokens/${aliceTokenId}`, { description: 'changed by read token' }],
      ['DELETE', `/tokens/${aliceTokenId}`, undefined],
    ] as const) {
      const r = await call(h.api, { method, url, auth: bearer(aliceRead), body });
      assert.equal(r.statusCode, 403, `${method} ${url}`);
      assert.match((r.data as { error: { message: string } }).error.message, /read-only.*method was/);
    }
    assert.equal((await h.ctx.store.tokens.findById(aliceTokenId))?.description, 'alice private');
  });

  it('does not let a token create tokens, so a narrow token cannot mint a wider one', async () => {
    const r = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: bearer(alice),
      body: { description: 'child' },
    });
    assert.equal(r.statusCode, 403);
    assert.match((r.data as { error: { message: string } }).error.message, /tokens cannot create tokens/);
    const viaManager = await call(h.api, {
      method: 'POST',
      url: '/admin/users/bob/tokens',
      auth: bearer(manager),
      body: { description: 'x' },
    });
    assert.equal(viaManager.statusCode, 403);
  });

  it('does not let a token manager create a token for a member of the admin group', async () => {
    await h.addUser('mgr2', ['managers'], 'mgr2-password-1');
    const r = await call(h.api, {
      method: 'POST',
      url: '/admin/users/admin/tokens',
      auth: basic('mgr2', 'mgr2-password-1'),
      body: { description: 'escalate', scope: 'write' },
    });
    assert.equal(r.statusCode, 403);
    assert.match((r.data as { error: { message: string } }).error.message, /only the admin group/);
    const forBob = await call(h.api, {
      method: 'POST',
      url: '/admin/users/bob/tokens',
      auth: basic('mgr2', 'mgr2-password-1'),
      body: { description: 'fine' },
    });
    assert.equal(forBob.statusCode, 201);
  });

  it('accepts Basic user:token only for the token owner', async () => {
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', auth: basic('alice', alice) })).statusCode,
      200,
    );
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', auth: basic('bob', alice) })).statusCode,
      401,
    );
  });

  it('stops all tokens of a user the moment the user is disabled, and again when deleted', async () => {
    await h.addUser('dora');
    const t = await h.tokenFor('dora', 'write');
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(t.token) })).statusCode, 200);
    assert.equal(
      (
        await call(h.api, {
          method: 'PATCH',
          url: '/admin/users/dora',
          auth: admin,
          body: { disabled: true },
        })
      ).statusCode,
      200,
    );
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(t.token) })).statusCode, 401);
    assert.equal(
      (
        await call(h.api, {
          method: 'PATCH',
          url: '/admin/users/dora',
          auth: admin,
          body: { disabled: false },
        })
      ).statusCode,
      200,
    );
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(t.token) })).statusCode, 200);
    assert.equal(
      (await call(h.api, { method: 'DELETE', url: '/admin/users/dora', auth: admin })).statusCode,
      204,
    );
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(t.token) })).statusCode, 401);
  });

  it('refuses directory passwords when auth.basicPasswords is false, while tokens keep working', async () => {
    assert.equal(
      (
        await call(h.api, {
          method: 'PATCH',
          url: '/admin/settings',
          auth: admin,
          body: { 'auth.basicPasswords': false },
        })
      ).statusCode,
      200,
    );
    const r = await call(h.api, { method: 'GET', url: '/me', auth: admin });
    assert.equal(r.statusCode, 401);
    assert.match((r.data as { error: { message: string } }).error.message, /auth\.basicPasswords/);
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(alice) })).statusCode, 200);
    await h.ctx.settings.update(
      { username: 'admin', groups: ['admin'], via: 'cli' },
      { author: '@cli', sourceIp: null, proxyIp: null, requestId: null, method: null, endpoint: null },
      { 'auth.basicPasswords': true },
    );
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: admin })).statusCode, 200);
  });

  it("enforces a token's own IP allow-list and the global one, using the trusted-proxy chain", async () => {
    const t = await h.tokenFor('alice', 'read', { allowedIps: ['10.0.0.0/8'] });
    const from = (ip: string, xff?: string) =>
      call(h.api, {
        method: 'GET',
        url: '/me',
        auth: bearer(t.token),
        remoteAddress: ip,
        ...(xff ? { headers: { 'x-forwarded-for': xff } } : {}),
      });
    assert.equal((await from('10.1.2.3')).statusCode, 200);
    assert.equal((await from('192.0.2.10')).statusCode, 403);
    // An untrusted peer cannot claim an allowed address.
    assert.equal((await from('192.0.2.10', '10.9.9.9')).statusCode, 403);
    const cli = {
      author: '@cli',
      sourceIp: null,
      proxyIp: null,
      requestId: null,
      method: null,
      endpoint: null,
    };
    const root = { username: '@cli', groups: ['admin'], via: 'cli' as const };
    await h.ctx.settings.update(root, cli, { 'auth.trustedProxies': ['192.0.2.10'] });
    assert.equal((await from('192.0.2.10', '10.9.9.9')).statusCode, 200);
    await h.ctx.settings.update(root, cli, { 'auth.allowedIps': ['10.9.0.0/16'] });
    assert.equal((await from('10.1.2.3')).statusCode, 403);
    assert.equal((await from('192.0.2.10', '10.9.9.9')).statusCode, 200);
    await h.ctx.settings.update(root, cli, { 'auth.allowedIps': [], 'auth.trustedProxies': [] });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const r = await call(h.api, { method: 'GET', url: '/nothing-here', auth: admin });
    assert.equal(r.statusCode, 404);
    assert.equal((r.data as { error: { code: string } }).error.code, 'not_found');
  });
});
