import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { systemContext } from '../src/services/context.js';
import { ADMIN_PASSWORD, call, harness, type Harness } from './support/harness.js';

/** The server side of the web UI: sessions, CSRF, security headers, static files, and the UI's read models. */
describe('web UI server side', () => {
  let h: Harness;
  let uiDir: string;

  before(async () => {
    uiDir = mkdtempSync(join(tmpdir(), 'tg-ui-'));
    mkdirSync(join(uiDir, 'assets'));
    writeFileSync(
      join(uiDir, 'index.html'),
      '<!doctype html><title>tokengate</title><script type="module" src="/_tokengate/assets/app-abc123.js"></script>',
    );
    writeFileSync(join(uiDir, 'assets', 'app-abc123.js'), 'console.log("ui")');
    h = await harness({ uiDir });
    await h.ctx.users.create(CLI_PRINCIPAL, systemContext('@cli'), {
      username: 'paula',
      groups: ['dev'],
      password: 'paula-password',
    });
  });
  after(async () => {
    await h.close();
    rmSync(uiDir, { recursive: true, force: true });
  });

  const signIn = async (
    username: string,
    password: string,
    extra: Record<string, string> = {},
    remoteAddress?: string,
  ) => {
    const r = await call(h.api, {
      method: 'POST',
      url: '/session',
      body: { username, password },
      headers: extra,
      ...(remoteAddress ? { remoteAddress } : {}),
    });
    const setCookie = String(r.headers['set-cookie'] ?? '');
    const cookie = /tg_session=([^;]*)/.exec(setCookie)?.[1] ?? '';
    return {
      r,
      setCookie,
      cookie: `tg_session=${cookie}`,
      csrf: (r.data as { csrfToken?: string }).csrfToken ?? '',
    };
  };

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

  it('serves the UI with a strict Content-Security-Policy and the usual security headers', async () => {
    const index = await call(h.api, { method: 'GET', url: '/_tokengate/' });
    assert.equal(index.statusCode, 200);
    assert.match(String(index.headers['content-type']), /text\/html/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    const csp = String(index.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(index.headers['x-frame-options'], 'DENY');
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal(index.headers['referrer-policy'], 'no-referrer');
    const asset = await call(h.api, { method: 'GET', url: '/_tokengate/assets/app-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    const traversal = await call(h.api, { method: 'GET', url: '/_tokengate/assets/../../package.json' });
    assert.notEqual(traversal.statusCode, 200);
    assert.equal((await call(h.api, { method: 'GET', url: '/_tokengate/assets/nope.js' })).statusCode, 404);
    // API answers carry the headers as well.
    assert.match(
      String(
        (await call(h.api, { method: 'GET', url: '/_tokengate/health' })).headers['content-security-policy'],
      ),
      /default-src/,
    );
  });

  it('tells the UI the token policy, and admins the settings help texts', async () => {
    const s = await signIn('paula', 'paula-password');
    const me = await call(h.api, { method: 'GET', url: '/me', headers: { cookie: s.cookie } });
    assert.deepEqual((me.data as { policy: unknown }).policy, {
      maxValidityDays: 365,
      defaultValidityDays: 90,
      forceReadOnly: false,
      maxPerUser: 10,
      tokenPrefix: 'tgp',
      rotationGraceSeconds: 0,
      expiryWarningDays: 5,
    });
    const admin = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
    const schema = await call(h.api, { method: 'GET', url: '/admin/settings/schema', auth: admin });
    const items = (schema.data as { items: Array<{ key: string; description: string }> }).items;
    assert.match(items.find((i) => i.key === 'audit.events.authSuccess')?.description ?? '', /Volume/);
  });

  it('serves the dashboard figures across nodes', async () => {
    const now = Date.now();
    const minute = now - (now % 60_000);
    await h.ctx.store.stats.add('node-a', [
      { minute, outcome: 'authenticated', count: 5 },
      { minute, outcome: 'denied', count: 2 },
    ]);
    await h.ctx.store.stats.add('node-b', [{ minute, outcome: 'authenticated', count: 3 }]);
    await h.ctx.store.stats.add('node-b', [{ minute, outcome: 'authenticated', count: 1 }]);
    const expiring = await h.tokenFor('paula', 'read', { validityDays: 2 });
    await h.ctx.store.tokens.touchLastUsed([{ id: expiring.id, at: now, ip: '192.0.2.4', uses: 7 }]);
    const admin = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
    const r = await call(h.api, { method: 'GET', url: '/admin/stats?hours=6', auth: admin });
    assert.equal(r.statusCode, 200, r.body);
    const data = r.data as {
      bucketMinutes: number;
      buckets: Array<{ authenticated: number; denied: number }>;
      topTokens: Array<{ id: string; uses: number }>;
      expiringSoon: Array<{ id: string }>;
    };
    assert.equal(data.bucketMinutes, 10);
    const last = data.buckets.at(-1);
    assert.deepEqual([last?.authenticated, last?.denied], [9, 2]);
    assert.deepEqual(data.topTokens[0], { ...data.topTokens[0], id: expiring.id, uses: 7 });
    assert.ok(data.expiringSoon.some((t) => t.id === expiring.id));
  });
});
