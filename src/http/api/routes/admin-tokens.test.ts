import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../../../domain/auth/permissions.js';
import { systemContext } from '../../../services/context.js';
import { ADMIN_PASSWORD, basic, call, useHarness } from '../../../../test/support/harness.js';

describe('token manager API (/admin/tokens)', () => {
  const admin = basic('admin', ADMIN_PASSWORD);

  const h = useHarness();

  it("pages the token manager's search with a cursor and applies filters", async () => {
    await h.addUser('pager');
    const cli = systemContext('@cli');
    await h.ctx.settings.update(CLI_PRINCIPAL, cli, { 'tokens.maxPerUser': 50 });
    for (let i = 0; i < 7; i++) await h.tokenFor('pager', i % 2 ? 'read' : 'write');
    const seen: string[] = [];
    let url = '/admin/tokens?user=pager&limit=3';
    for (let page = 0; page < 5; page++) {
      const r = await call(h.api, { method: 'GET', url, auth: admin });
      assert.equal(r.statusCode, 200);
      const data = r.data as { items: Array<{ id: string; user: string }>; nextCursor: string | null };
      assert.ok(data.items.every((t) => t.user === 'pager'));
      seen.push(...data.items.map((t) => t.id));
      if (!data.nextCursor) break;
      url = `/admin/tokens?user=pager&limit=3&cursor=${data.nextCursor}`;
    }
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);
    const reads = await call(h.api, {
      method: 'GET',
      url: '/admin/tokens?user=pager&scope=read&status=active',
      auth: admin,
    });
    assert.equal((reads.data as { items: unknown[] }).items.length, 3);
  });
});
