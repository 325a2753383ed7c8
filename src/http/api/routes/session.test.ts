import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../../../domain/auth/permissions.js';
import { systemContext } from '../../../services/context.js';
import { call, type Harness } from '../../../../test/support/harness.js';
import { signInTo, uiHarness } from '../../../../test/support/ui-server.js';

describe('web UI sessions (/session)', () => {
  let h: Harness;
  let close: () => Promise<void>;
  before(async () => {
    ({ h, close } = await uiHarness());
  });
  after(() => close());
  const signIn = (...args: Parameters<ReturnType<typeof signInTo>>) => signInTo(h)(...args);

  it('signs in with the directory password and sets a strict HttpOnly cookie', async () => {
    const s = await signIn('paula', 'paula-password');
    assert.equal(s.r.statusCode, 200);
    assert.match(
      s.setCookie,
      /^tg_session=[A-Za-z0-9_-]{43}; Path=\/_tokengate; HttpOnly; SameSite=Strict; Max-Age=28800$/,
    );
    assert.match(s.csrf, /^[A-Za-z0-9_-]{32}$/);
    const me = await call(h.api, { method: 'GET', url: '/me', headers: { cookie: s.cookie } });
    assert.equal(me.statusCode, 200);
    assert.equal((me.data as { authenticatedWith: string }).authenticatedWith, 'session');
    const again = await call(h.api, { method: 'GET', url: '/session', headers: { cookie: s.cookie } });
    assert.equal((again.data as { csrfToken: string }).csrfToken, s.csrf);
  });

  it('marks the cookie Secure when a trusted proxy says the request came over https', async () => {
    await h.ctx.settings.update(CLI_PRINCIPAL, systemContext('@cli'), {
      'auth.trustedProxies': ['10.1.0.0/16'],
    });
    try {
      const s = await signIn(
        'paula',
        'paula-password',
        { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.3' },
        '10.1.2.3',
      );
      assert.match(s.setCookie, /; Secure$/);
      const plain = await signIn('paula', 'paula-password', { 'x-forwarded-proto': 'https' }, '192.0.2.9');
      assert.doesNotMatch(plain.setCookie, /Secure/, 'an untrusted client cannot claim https');
    } finally {
      await h.ctx.settings.update(CLI_PRINCIPAL, systemContext('@cli'), { 'auth.trustedProxies': [] });
    }
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    for (const [u, p] of [
      ['paula', 'wrong-password'],
      ['nobody', 'whatever-pass'],
    ]) {
      const s = await signIn(u ?? '', p ?? '');
      assert.equal(s.r.statusCode, 401);
      assert.equal(s.setCookie, '');
    }
  });

  it('requires the CSRF token for every state change made with the cookie', async () => {
    const s = await signIn('paula', 'paula-password');
    const body = { description: 'from the browser' };
    const without = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      body,
      headers: { cookie: s.cookie },
    });
    assert.equal(without.statusCode, 403);
    assert.match((without.data as { error: { message: string } }).error.message, /CSRF/);
    const wrong = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      body,
      headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(32) },
    });
    assert.equal(wrong.statusCode, 403);
    const right = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      body,
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    assert.equal(right.statusCode, 201);
    const created = (await h.ctx.store.audit.search({ action: 'token.created' }, 1))[0];
    assert.equal(created?.author, 'paula');
  });

  it('signs out: the cookie stops working everywhere', async () => {
    const s = await signIn('paula', 'paula-password');
    assert.equal(
      (await call(h.api, { method: 'DELETE', url: '/session', headers: { cookie: s.cookie } })).statusCode,
      403,
      'sign-out needs the CSRF token too',
    );
    const out = await call(h.api, {
      method: 'DELETE',
      url: '/session',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /tg_session=; .*Max-Age=0/);
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', headers: { cookie: s.cookie } })).statusCode,
      401,
    );
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/session', headers: { cookie: s.cookie } })).statusCode,
      401,
    );
  });

  it("ends a disabled user's sessions at once", async () => {
    await h.ctx.users.create(CLI_PRINCIPAL, systemContext('@cli'), {
      username: 'quinn',
      password: 'quinn-password',
    });
    const s = await signIn('quinn', 'quinn-password');
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', headers: { cookie: s.cookie } })).statusCode,
      200,
    );
    await h.ctx.users.update(CLI_PRINCIPAL, systemContext('@cli'), 'quinn', { disabled: true });
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', headers: { cookie: s.cookie } })).statusCode,
      401,
    );
  });

  it('ends sessions for good when the user is disabled or their password changes', async () => {
    await h.ctx.users.create(CLI_PRINCIPAL, systemContext('@cli'), {
      username: 'rita',
      password: 'rita-password',
    });
    const s = await signIn('rita', 'rita-password');
    await h.ctx.users.update(CLI_PRINCIPAL, systemContext('@cli'), 'rita', { disabled: true });
    await h.ctx.users.update(CLI_PRINCIPAL, systemContext('@cli'), 'rita', { disabled: false });
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', headers: { cookie: s.cookie } })).statusCode,
      401,
      're-enabling does not revive it',
    );
    const s2 = await signIn('rita', 'rita-password');
    await h.ctx.users.update(CLI_PRINCIPAL, systemContext('@cli'), 'rita', { password: 'rita-password-2' });
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', headers: { cookie: s2.cookie } })).statusCode,
      401,
      'a new password ends it',
    );
  });

  it('keeps a plain user out of the administration API with a session too', async () => {
    const s = await signIn('paula', 'paula-password');
    for (const url of [
      '/admin/users',
      '/admin/settings',
      '/admin/settings/schema',
      '/admin/audit',
      '/admin/tokens',
      '/admin/stats',
      '/admin/log-levels',
    ]) {
      assert.equal(
        (await call(h.api, { method: 'GET', url, headers: { cookie: s.cookie } })).statusCode,
        403,
        url,
      );
    }
  });
});
