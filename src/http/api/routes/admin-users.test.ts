import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ADMIN_PASSWORD,
  basic,
  bearer,
  call,
  harness,
  type Harness,
} from '../../../../test/support/harness.js';

describe('users API (/admin/users)', () => {
  let h: Harness;
  const admin = basic('admin', ADMIN_PASSWORD);

  before(async () => {
    h = await harness();
  });
  after(() => h.close());

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

    it('adds a service account: source service, an owning group, no password, never a password later', async () => {
      const r = await call(h.api, {
        method: 'POST',
        url: '/admin/users',
        auth: admin,
        body: { username: 'ci-deploy', serviceAccount: true, ownerGroup: 'platform' },
      });
      assert.equal(r.statusCode, 201, r.body);
      const u = r.data as Record<string, unknown>;
      assert.equal(u.source, 'service');
      assert.equal(u.ownerGroup, 'platform');
      assert.equal(u.hasPassword, false);
      const refusals: Array<[unknown, RegExp]> = [
        [{ username: 'ci-2', serviceAccount: true }, /ownerGroup/],
        [
          { username: 'ci-3', serviceAccount: true, ownerGroup: 'platform', password: 'a-long-password' },
          /password/,
        ],
        [{ username: 'ci-4', ownerGroup: 'platform' }, /ownerGroup/],
      ];
      for (const [body, message] of refusals) {
        const bad = await call(h.api, { method: 'POST', url: '/admin/users', auth: admin, body });
        assert.equal(bad.statusCode, 400, JSON.stringify(body));
        assert.match(bad.body, message);
      }
      const set = await call(h.api, {
        method: 'PATCH',
        url: '/admin/users/ci-deploy',
        auth: admin,
        body: { password: 'a-long-password' },
      });
      assert.equal(set.statusCode, 400);
      assert.match(set.body, /service account has no password/);
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
});
