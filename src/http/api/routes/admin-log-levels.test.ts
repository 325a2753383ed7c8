import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_PASSWORD, basic, bearer, call, useHarness } from '../../../../test/support/harness.js';

describe('log levels API (/admin/log-levels)', () => {
  const admin = basic('admin', ADMIN_PASSWORD);

  const h = useHarness();

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
});
