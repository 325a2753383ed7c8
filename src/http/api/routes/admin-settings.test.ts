import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SETTING_DEFINITIONS } from '../../../domain/settings.js';
import { ADMIN_PASSWORD, basic, call, useHarness } from '../../../../test/support/harness.js';

describe('settings API (/admin/settings)', () => {
  const admin = basic('admin', ADMIN_PASSWORD);

  const h = useHarness();

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
});
