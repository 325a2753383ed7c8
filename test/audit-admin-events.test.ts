import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { systemContext } from '../src/services/context.js';
import { ADMIN_PASSWORD, basic, call, harness, type Harness } from './support/harness.js';

/**
 * The always-on administrative events, made through the API behind a trusted proxy: each is
 * recorded with the real author, the client IP and the proxy IP in their own fields, and, for
 * tokens, the token id that matches a revocation to its creation.
 */
describe('always-on audit events', () => {
  let h: Harness;
  const admin = basic('admin', ADMIN_PASSWORD);
  const viaProxy = {
    remoteAddress: '10.9.0.2',
    headers: { 'x-forwarded-for': '203.0.113.77', 'x-request-id': 'req-admin-1' },
  };

  before(async () => {
    h = await harness();
    await h.ctx.settings.update(CLI_PRINCIPAL, systemContext('@cli'), {
      'auth.trustedProxies': ['10.9.0.0/16'],
    });
  });
  after(() => h.close());

  const latest = async (action: string): Promise<AuditRecord> => {
    const [r] = await h.ctx.store.audit.search({ action }, 1);
    assert.ok(r, `a ${action} record`);
    return r;
  };

  const expectContext = (r: AuditRecord, method: string) => {
    assert.equal(r.author, 'admin');
    assert.equal(r.sourceIp, '203.0.113.77');
    assert.equal(r.proxyIp, '10.9.0.2');
    assert.equal(r.requestId, 'req-admin-1');
    assert.equal(r.method, method);
    assert.equal(r.nodeId, 'test-node');
    assert.match(r.endpoint ?? '', /^\/_tokengate\/api\/v1\//);
  };

  it('records user created, disabled, enabled and deleted', async () => {
    assert.equal(
      (
        await call(h.api, {
          method: 'POST',
          url: '/admin/users',
          auth: admin,
          body: { username: 'uma' },
          ...viaProxy,
        })
      ).statusCode,
      201,
    );
    expectContext(await latest('user.created'), 'POST');
    await call(h.api, {
      method: 'PATCH',
      url: '/admin/users/uma',
      auth: admin,
      body: { disabled: true },
      ...viaProxy,
    });
    const disabled = await latest('user.disabled');
    expectContext(disabled, 'PATCH');
    assert.equal(disabled.affectedUser, 'uma');
    await call(h.api, {
      method: 'PATCH',
      url: '/admin/users/uma',
      auth: admin,
      body: { disabled: false },
      ...viaProxy,
    });
    assert.equal((await latest('user.enabled')).affectedUser, 'uma');
    await call(h.api, { method: 'DELETE', url: '/admin/users/uma', auth: admin, ...viaProxy });
    expectContext(await latest('user.deleted'), 'DELETE');
  });

  it('records token created and revoked with the same token id, and one record per token for a bulk revocation', async () => {
    await h.addUser('tia');
    const made = await call(h.api, {
      method: 'POST',
      url: '/admin/users/tia/tokens',
      auth: admin,
      body: { description: 'tia one', scope: 'write' },
      ...viaProxy,
    });
    const id = (made.data as { record: { id: string } }).record.id;
    const created = await latest('token.created');
    expectContext(created, 'POST');
    assert.deepEqual(
      [created.tokenId, created.tokenDescription, created.affectedUser, created.details?.scope],
      [id, 'tia one', 'tia', 'write'],
    );
    await h.tokenFor('tia', 'read');
    const bulk = await call(h.api, {
      method: 'DELETE',
      url: '/admin/users/tia/tokens',
      auth: admin,
      ...viaProxy,
    });
    assert.equal((bulk.data as { revoked: number }).revoked, 2);
    const revoked = await h.ctx.store.audit.search({ action: 'token.revoked', affectedUser: 'tia' }, 10);
    assert.equal(revoked.length, 2);
    assert.ok(revoked.some((r) => r.tokenId === id));
    for (const r of revoked) expectContext(r, 'DELETE');
  });

  it('records settings changes with old and new values, and log level changes', async () => {
    await call(h.api, {
      method: 'PATCH',
      url: '/admin/settings',
      auth: admin,
      body: { 'audit.events.authSuccess': true },
      ...viaProxy,
    });
    const s = await latest('settings.changed');
    expectContext(s, 'PATCH');
    assert.deepEqual(s.details, { key: 'audit.events.authSuccess', oldValue: false, newValue: true });
    await call(h.api, {
      method: 'PUT',
      url: '/admin/log-levels/auth',
      auth: admin,
      body: { level: 'info' },
      ...viaProxy,
    });
    const l = await latest('log.level.changed');
    expectContext(l, 'PUT');
    assert.equal(l.category, 'logging');
    assert.deepEqual(l.details, { logger: 'auth', oldLevel: 'WARN', newLevel: 'INFO' });
  });

  it('commits the record before the API answers, and never stores a secret', async () => {
    const before = (await h.ctx.store.audit.head())?.seq ?? 0;
    const r = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: admin,
      body: { description: 'mine' },
      ...viaProxy,
    });
    const token = (r.data as { token: string }).token;
    // No waiting: the record is there as soon as the response is.
    const rows = await h.ctx.store.audit.chainRows(before, 10);
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(await h.ctx.store.audit.search({}, 1000)).includes(token));
    assert.ok(!JSON.stringify(await h.ctx.store.audit.search({}, 1000)).includes(ADMIN_PASSWORD));
  });
});
