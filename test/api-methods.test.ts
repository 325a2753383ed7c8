import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routePattern, RouteMethods } from '../src/http/api/route-methods.js';
import { ADMIN_PASSWORD, API, basic, call, useHarness } from './support/harness.js';

/** Methods and status codes (issue 19): 405 with Allow for a known path, Location on a 201. */

describe('RouteMethods', () => {
  it('matches parameters and wildcards, with or without a trailing slash', () => {
    assert.match('/a/tokens/tok_1', routePattern('/a/tokens/:id'));
    assert.match('/a/tokens/tok_1/', routePattern('/a/tokens/:id'));
    assert.doesNotMatch('/a/tokens/tok_1/rotate', routePattern('/a/tokens/:id'));
    assert.doesNotMatch('/a/tokens', routePattern('/a/tokens/:id'));
    assert.match('/x/assets/a/b.js', routePattern('/x/assets/*'));
    assert.doesNotMatch('/a.b', routePattern('/a-b'));
  });

  it('unions the methods of every route that matches, HEAD with GET, sorted; none for an unknown path', () => {
    const m = new RouteMethods();
    m.add('GET', '/t');
    m.add(['POST'], '/t');
    m.add('DELETE', '/t/:id');
    m.add('PATCH', '/t/:id');
    assert.deepEqual(m.allowed('/t'), ['GET', 'HEAD', 'POST']);
    assert.deepEqual(m.allowed('/t/tok_1'), ['DELETE', 'PATCH']);
    assert.deepEqual(m.allowed('/nothing'), []);
  });
});

describe('the management API', () => {
  const admin = basic('admin', ADMIN_PASSWORD);
  const h = useHarness();

  it('answers a known path with a wrong method 405, with Allow and the catalogue error', async () => {
    for (const [method, url, allow] of [
      ['PUT', '/tokens', 'GET, HEAD, POST'],
      ['POST', '/tokens/tok_x', 'DELETE, GET, HEAD, PATCH'],
      ['DELETE', '/admin/users', 'GET, HEAD, POST'],
      ['GET', '/tokens/tok_x/rotate', 'POST'],
      ['PATCH', '/admin/audit/', 'GET, HEAD'],
    ] as const) {
      const r = await call(h.api, { method, url, auth: admin, ...(method === 'PUT' ? { body: {} } : {}) });
      assert.equal(r.statusCode, 405, `${method} ${url}`);
      assert.equal(r.headers.allow, allow, `${method} ${url}`);
      const body = r.data as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'method_not_allowed');
      assert.match(body.error.message, new RegExp(`^${method} is not allowed on ${API}`));
    }
  });

  it('keeps 404 for an unknown path, and 401 before either without credentials', async () => {
    const r = await call(h.api, { method: 'GET', url: '/no-such-thing', auth: admin });
    assert.equal(r.statusCode, 404);
    assert.equal(r.headers.allow, undefined);
    assert.equal((await call(h.api, { method: 'PUT', url: '/tokens' })).statusCode, 401);
  });

  it('sends Location with every 201: the new token and the new user', async () => {
    const own = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: admin,
      body: { description: 'a' },
    });
    assert.equal(own.statusCode, 201);
    const ownId = (own.data as { record: { id: string } }).record.id;
    assert.equal(own.headers.location, `${API}/tokens/${ownId}`);
    assert.equal(
      (await call(h.api, { method: 'GET', url: String(own.headers.location), auth: admin })).statusCode,
      200,
    );

    const user = await call(h.api, {
      method: 'POST',
      url: '/admin/users',
      auth: admin,
      body: { username: 'bob' },
    });
    assert.equal(user.statusCode, 201);
    assert.equal(user.headers.location, `${API}/admin/users/bob`);
    assert.equal(
      (await call(h.api, { method: 'GET', url: String(user.headers.location), auth: admin })).statusCode,
      200,
    );

    const forBob = await call(h.api, {
      method: 'POST',
      url: '/admin/users/bob/tokens',
      auth: admin,
      body: { description: 'b' },
    });
    assert.equal(forBob.statusCode, 201);
    const bobId = (forBob.data as { record: { id: string } }).record.id;
    assert.equal(forBob.headers.location, `${API}/admin/tokens/${bobId}`);
    const got = await call(h.api, { method: 'GET', url: String(forBob.headers.location), auth: admin });
    assert.equal((got.data as { user: string }).user, 'bob');
  });
});
