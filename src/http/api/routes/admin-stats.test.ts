import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_PASSWORD, call } from '../../../../test/support/harness.js';
import { useUiHarness } from '../../../../test/support/ui-server.js';

describe('dashboard figures (/admin/stats)', () => {
  const h = useUiHarness();

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
