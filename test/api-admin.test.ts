import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SETTING_DEFINITIONS } from '../src/domain/settings.js';
import { ADMIN_PASSWORD, basic, bearer, call, harness, type Harness } from './support/harness.js';

describe('users and settings API', () => {
  let h: Harness;
  const admin = basic('admin', ADMIN_PASSWORD);

  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  describe('settings', () => {
    it('lists every setting with its default', async () => {
      const r = await call(h.api, { method: 'GET', url: '/admin/settings', auth: admin });
      assert.equal(r.statusCode, 200);
      const s = r.data as Record<string, unknown>;
      assert.deepEqual(Object.keys(s).sort(), SETTING_DEFINITIONS.map((d) => d.key).sort());
      assert.equal(s['auth.basicPasswords'], true);
      assert.deepEqual(s['auth.allowedIps'], []);
      assert.equal(s['rateLimit.requests'], 5);
      assert.equal(s['rateLimit.windowSeconds'], 300);
    });

    it('refuses an unknown key or a bad value, naming it, and changes nothing', async () => {
      const auditBefore = (await h.ctx.store.audit.list({ limit: 1000 })).length;
      for (const [body, field] of [
        [{ 'auth.basicPasswords': false, 'auth.nope': 1 }, 'auth.nope'],
        [{ 'rateLimit.requests': 0 }, 'rateLimit.requests'],
        [{ 'auth.allowedIps': ['not-an-ip'] }, 'auth.allowedIps'],
        [{ 'tokens.defaultValidityDays': 500 }, 'tokens.defaultValidityDays'],
        [{ 'auth.basicPasswords': 'no' }, 'auth.basicPasswords'],
      ] as const) {
        const r = await call(h.api, { method: 'PATCH', url: '/admin/settings', auth: admin, body });
        assert.equal(r.statusCode, 400, JSON.stringify(body));
        const err = (r.data as { error: { message: string; details: Array<{ field: string }> } }).error;
        assert.ok(
          err.details.some((d) => d.field === field),
          `${field} in ${JSON.stringify(err)}`,
        );
      }
      assert.equal(h.ctx.settings.current['auth.basicPasswords'], true);
      assert.equal((await h.ctx.store.audit.list({ limit: 1000 })).length, auditBefore);
      const empty = await call(h.api, { method: 'PATCH', url: '/admin/settings', auth: admin, body: {} });
      assert.equal(empty.statusCode, 400);
    });

    it('applies a change, canonicalizes it and audits old and new values per key', async () => {
      const r = await call(h.api, {
        method: 'PATCH',
        url: '/admin/settings',
        auth: admin,
        body: { 'rateLimit.enabled': true, 'auth.allowedIps': ['10.0.0.1', '192.168.0.0/16'] },
        remoteAddress: '10.0.0.1',
      });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual((r.data as Record<string, unknown>)['auth.allowedIps'], [
        '10.0.0.1/32',
        '192.168.0.0/16',
      ]);
      const records = (await h.ctx.store.audit.list({ limit: 10 })).filter(
        (a) => a.action === 'settings.changed',
      );
      const ips = records.find((a) => a.details?.key === 'auth.allowedIps');
      assert.deepEqual(ips?.details, {
        key: 'auth.allowedIps',
        oldValue: [],
        newValue: ['10.0.0.1/32', '192.168.0.0/16'],
      });
      assert.equal(ips?.author, 'admin');
      assert.equal(ips?.sourceIp, '10.0.0.1');
      const enabled = records.find((a) => a.details?.key === 'rateLimit.enabled');
      assert.deepEqual([enabled?.details?.oldValue, enabled?.details?.newValue], [false, true]);
      // Restore, from an allowed address.
      await call(h.api, {
        method: 'PATCH',
        url: '/admin/settings',
        auth: admin,
        body: { 'auth.allowedIps': [], 'rateLimit.enabled': false },
        remoteAddress: '10.0.0.1',
      });
    });
  });

  describe('users', () => {
    it('adds a user with a password, who can then sign in and see themselves', async () => {
      const r = await call(h.api, {
        method: 'POST',
        url: '/admin/users',
        auth: admin,
        body: {
          username: 'nora',
          displayName: 'Nora N',
          email: 'nora@example.test',
          groups: ['dev'],
          password: 'nora-password',
        },
      });
      assert.equal(r.statusCode, 201, r.body);
      const u = r.data as Record<string, unknown>;
      assert.equal(u.hasPassword, true);
      assert.ok(!JSON.stringify(u).includes('scrypt'));
      const me = await call(h.api, { method: 'GET', url: '/me', auth: basic('nora', 'nora-password') });
      assert.equal(me.statusCode, 200);
      assert.deepEqual((me.data as { permissions: Record<string, boolean> }).permissions, {
        useTokens: true,
        createOwnTokens: true,
        manageAllTokens: false,
        admin: false,
      });
      assert.equal(
        (await call(h.api, { method: 'GET', url: '/me', auth: basic('nora', 'wrong-password') })).statusCode,
        401,
      );
    });

    it('refuses duplicates, bad names, bad e-mails and short passwords', async () => {
      const cases: Array<[unknown, number, RegExp]> = [
        [{ username: 'nora' }, 409, /already exists/],
        [{ username: 'Bad Name' }, 400, /username/],
        [{ username: 'ok1', email: 'not-an-email' }, 400, /email/],
        [{ username: 'ok2', password: 'short' }, 400, /password/],
        [{ username: 'ok3', groups: ['bad group'] }, 400, /groups/],
        [{ username: 'ok4', role: 'admin' }, 400, /role: is not a known field/],
      ];
      for (const [body, status, message] of cases) {
        const r = await call(h.api, { method: 'POST', url: '/admin/users', auth: admin, body });
        assert.equal(r.statusCode, status, JSON.stringify(body));
        assert.match((r.data as { error: { message: string } }).error.message, message);
      }
      assert.equal(await h.ctx.store.users.find('ok1'), null);
      assert.equal(await h.ctx.store.users.find('ok2'), null);
    });

    it('changes groups and passwords; a password change takes effect at once', async () => {
      const r = await call(h.api, {
        method: 'PATCH',
        url: '/admin/users/nora',
        auth: admin,
        body: { groups: ['dev', 'ops'], password: 'nora-password-2' },
      });
      assert.equal(r.statusCode, 200);
      assert.deepEqual((r.data as { groups: string[] }).groups, ['dev', 'ops']);
      assert.equal(
        (await call(h.api, { method: 'GET', url: '/me', auth: basic('nora', 'nora-password') })).statusCode,
        401,
      );
      assert.equal(
        (await call(h.api, { method: 'GET', url: '/me', auth: basic('nora', 'nora-password-2') })).statusCode,
        200,
      );
      assert.equal(
        (
          await call(h.api, {
            method: 'PATCH',
            url: '/admin/users/ghost',
            auth: admin,
            body: { disabled: true },
          })
        ).statusCode,
        404,
      );
    });

    it('protects the last enabled admin from being disabled, demoted or deleted', async () => {
      await h.addUser('root2', ['admin']);
      const t = await h.tokenFor('root2', 'write');
      for (const [method, body] of [
        ['PATCH', { disabled: true }],
        ['PATCH', { groups: ['dev'] }],
      ] as const) {
        // The other admin may take admin's rights while two admins exist...
        assert.equal(
          (await call(h.api, { method, url: '/admin/users/admin', auth: bearer(t.token), body })).statusCode,
          200,
        );
        // ...but not their own afterwards, as the last one.
        const last = await call(h.api, { method, url: '/admin/users/root2', auth: bearer(t.token), body });
        assert.equal(last.statusCode, 409);
        assert.match(
          (last.data as { error: { message: string } }).error.message,
          /last enabled member of the admin group/,
        );
        // Restore admin.
        await call(h.api, {
          method: 'PATCH',
          url: '/admin/users/admin',
          auth: bearer(t.token),
          body: { disabled: false, groups: ['admin'] },
        });
      }
      assert.equal(
        (await call(h.api, { method: 'DELETE', url: '/admin/users/admin', auth: admin })).statusCode,
        409,
        'cannot delete yourself',
      );
    });

    it('deletes a user with their tokens, auditing each token', async () => {
      await h.addUser('temp');
      const t = await h.tokenFor('temp', 'read');
      assert.equal(
        (await call(h.api, { method: 'DELETE', url: '/admin/users/temp', auth: admin })).statusCode,
        204,
      );
      assert.equal(
        (await call(h.api, { method: 'GET', url: '/admin/users/temp', auth: admin })).statusCode,
        404,
      );
      assert.equal(
        (await call(h.api, { method: 'DELETE', url: '/admin/users/temp', auth: admin })).statusCode,
        404,
      );
      const [deleted] = await h.ctx.store.audit.list({ limit: 10, tokenId: t.id });
      assert.equal(deleted?.action, 'token.deleted');
      assert.equal(deleted?.author, 'admin');
      const userDeleted = (await h.ctx.store.audit.list({ limit: 10 })).find(
        (a) => a.action === 'user.deleted',
      );
      assert.equal(userDeleted?.affectedUser, 'temp');
    });
  });

  describe('log levels', () => {
    it('lists, sets and clears a logger level, audited as log.level.changed', async () => {
      const list = await call(h.api, { method: 'GET', url: '/admin/log-levels', auth: admin });
      assert.deepEqual((list.data as { levels: Record<string, string> }).levels, {
        root: 'INFO',
        auth: 'WARN',
        ratelimit: 'WARN',
      });
      const set = await call(h.api, {
        method: 'PUT',
        url: '/admin/log-levels/auth.filter',
        auth: admin,
        body: { level: 'DEBUG' },
      });
      assert.equal(set.statusCode, 200, set.body);
      assert.equal((set.data as { levels: Record<string, string> }).levels['auth.filter'], 'DEBUG');
      const [record] = await h.ctx.store.audit.list({ limit: 1, category: 'logging' });
      assert.equal(record?.action, 'log.level.changed');
      assert.equal(record?.author, 'admin');
      assert.deepEqual(record?.details, { logger: 'auth.filter', oldLevel: null, newLevel: 'DEBUG' });
      const cleared = await call(h.api, {
        method: 'PUT',
        url: '/admin/log-levels/auth.filter',
        auth: admin,
        body: { level: null },
      });
      assert.equal((cleared.data as { levels: Record<string, string> }).levels['auth.filter'], undefined);
    });

    it('refuses bad levels and names, an inheriting root, and non-admins', async () => {
      for (const [url, body, status] of [
        ['/admin/log-levels/auth', { level: 'LOUD' }, 400],
        ['/admin/log-levels/Bad Name', { level: 'INFO' }, 400],
        ['/admin/log-levels/root', { level: null }, 400],
        ['/admin/log-levels/auth', { level: 'INFO', extra: 1 }, 400],
      ] as const) {
        const r = await call(h.api, { method: 'PUT', url: url.replace(' ', '%20'), auth: admin, body });
        assert.equal(r.statusCode, status, `${url} ${JSON.stringify(body)}: ${r.body}`);
      }
      await h.addUser('lou');
      const t = await h.tokenFor('lou', 'write');
      assert.equal(
        (await call(h.api, { method: 'GET', url: '/admin/log-levels', auth: bearer(t.token) })).statusCode,
        403,
      );
      assert.equal(
        (
          await call(h.api, {
            method: 'PUT',
            url: '/admin/log-levels/auth',
            auth: bearer(t.token),
            body: { level: 'INFO' },
          })
        ).statusCode,
        403,
      );
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const r = await call(h.api, { method: 'GET', url: '/nothing-here', auth: admin });
    assert.equal(r.statusCode, 404);
    assert.equal((r.data as { error: { code: string } }).error.code, 'not_found');
  });
});
