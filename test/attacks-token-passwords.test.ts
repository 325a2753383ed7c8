import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, API, basic, bearer, call, harness, type Harness } from './support/harness.js';

/**
 * Issue 14, finding 11: a token cannot mint credentials that outlive it. Any principal
 * authenticated by a token (Bearer, or Basic user:token) gets 403 for creating a user with a
 * password or setting, resetting or removing any password, its own included. A session and a
 * directory password (Basic) still may.
 */

describe('tokens cannot create passwords', () => {
  let h: Harness;
  let token: string;

  before(async () => {
    h = await harness();
    await h.addUser('bob', [], 'bob-password-12');
    token = (await h.tokenFor('admin', 'write')).token;
  });
  after(async () => h.close());

  // The token exists only once `before` has run: each test builds its header then.
  const viaToken = [
    { name: 'Bearer', header: () => bearer(token) },
    { name: 'Basic admin:token', header: () => basic('admin', token) },
  ];

  for (const { name, header } of viaToken) {
    it(`${name}: creating a user with a password is refused with 403`, async () => {
      const auth = header();
      const r = await call(h.api, {
        method: 'POST',
        url: `${API}/admin/users`,
        auth,
        body: { username: `mint-${name.length}`, password: 'minted-password-1' },
      });
      assert.equal(r.statusCode, 403, r.body);
      assert.match(r.body, /tokens cannot set passwords/);
      assert.equal(await h.ctx.store.users.find(`mint-${name.length}`), null, 'no user was created');
    });

    it(`${name}: setting another user's password is refused with 403`, async () => {
      const auth = header();
      const r = await call(h.api, {
        method: 'PATCH',
        url: `${API}/admin/users/bob`,
        auth,
        body: { password: 'minted-password-2' },
      });
      assert.equal(r.statusCode, 403, r.body);
      assert.match(r.body, /tokens cannot set passwords/);
      assert.ok(await h.ctx.users.verifyPassword('bob', 'bob-password-12'), "bob's password is unchanged");
    });

    it(`${name}: setting its own user's password, or removing one, is refused with 403`, async () => {
      const auth = header();
      for (const password of ['minted-password-3', null]) {
        const r = await call(h.api, {
          method: 'PATCH',
          url: `${API}/admin/users/admin`,
          auth,
          body: { password },
        });
        assert.equal(r.statusCode, 403, r.body);
        assert.match(r.body, /tokens cannot set passwords/);
      }
      assert.ok(await h.ctx.users.verifyPassword('admin', ADMIN_PASSWORD), "admin's password is unchanged");
    });

    it(`${name}: other user changes still work (a user without a password, a group change)`, async () => {
      const auth = header();
      const created = await call(h.api, {
        method: 'POST',
        url: `${API}/admin/users`,
        auth,
        body: { username: `plain-${name.length}` },
      });
      assert.equal(created.statusCode, 201, created.body);
      const changed = await call(h.api, {
        method: 'PATCH',
        url: `${API}/admin/users/plain-${name.length}`,
        auth,
        body: { groups: ['dev'] },
      });
      assert.equal(changed.statusCode, 200, changed.body);
    });
  }

  it('a directory password (Basic) still creates a user with a password and sets one', async () => {
    const auth = basic('admin', ADMIN_PASSWORD);
    const r = await call(h.api, {
      method: 'POST',
      url: `${API}/admin/users`,
      auth,
      body: { username: 'carol', password: 'carol-password-1' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const p = await call(h.api, {
      method: 'PATCH',
      url: `${API}/admin/users/carol`,
      auth,
      body: { password: 'carol-password-2' },
    });
    assert.equal(p.statusCode, 200, p.body);
  });

  it('a web UI session still sets a password', async () => {
    const s = await call(h.api, {
      method: 'POST',
      url: `${API}/session`,
      body: { username: 'admin', password: ADMIN_PASSWORD },
    });
    assert.equal(s.statusCode, 200, s.body);
    const cookie = String(s.headers['set-cookie']).split(';')[0] ?? '';
    const csrf = (s.data as { csrfToken: string }).csrfToken;
    const p = await call(h.api, {
      method: 'PATCH',
      url: `${API}/admin/users/bob`,
      headers: { cookie, 'x-csrf-token': csrf },
      body: { password: 'bob-password-13' },
    });
    assert.equal(p.statusCode, 200, p.body);
  });
});
