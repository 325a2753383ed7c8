import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { checksum } from '../src/domain/token/format.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

const EVENTS = [
  'audit.events.authSuccess',
  'audit.events.authFailedToken',
  'audit.events.authFailedVerification',
  'audit.events.permissionDenied',
  'audit.events.rateLimited',
] as const;

/**
 * The selectable authentication events: each is off by default and recorded only when its setting
 * is on, with the real author and both IPs correct behind a trusted proxy.
 */
describe('authentication audit events', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let write: string;
  let read: string;
  let limited: string;
  let readId: string;
  let fenced: string;
  const forged = `tgp_${'D'.repeat(30)}${checksum('D'.repeat(30))}`;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
      username: 'ann',
      groups: ['dev'],
      password: 'ann-password-1',
    });
    write = (await t.tokenFor('ann', { description: 'ann write', scope: 'write' })).token;
    const r = await t.tokenFor('ann', { description: 'ann read', scope: 'read' });
    read = r.token;
    readId = r.id;
    limited = (
      await t.tokenFor('ann', { description: 'ann limited', rateLimit: { requests: 1, windowSeconds: 600 } })
    ).token;
    fenced = (await t.tokenFor('ann', { description: 'ann fenced', allowedIps: ['192.0.2.0/24'] })).token;
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  let sinceSeq = 0;
  beforeEach(async () => {
    sinceSeq = (await t.node.ctx.store.audit.head())?.seq ?? 0;
  });

  /** Authentication records written since the test began, oldest first. */
  const recorded = async (): Promise<AuditRecord[]> => {
    await t.node.runtime.auditQueue.flush();
    const all = await t.node.ctx.store.audit.search({ category: 'authentication' }, 1000);
    return all.filter((r) => r.seq > sinceSeq).reverse();
  };

  const via = (headers: Record<string, string>, method = 'GET', path = '/rest/x') =>
    fetch(`${t.url}${path}`, { method, headers: { 'x-forwarded-for': '203.0.113.50', ...headers } });

  /** Every case that produces an event, with the setting that governs it. */
  const cases: Array<[(typeof EVENTS)[number], () => Promise<number>, number]> = [
    ['audit.events.authSuccess', async () => (await via({ authorization: `Bearer ${write}` })).status, 200],
    [
      'audit.events.authFailedToken',
      async () => (await via({ authorization: `Bearer ${fenced}` })).status,
      403,
    ],
    [
      'audit.events.authFailedVerification',
      async () => (await via({ authorization: basicAuth('ann', forged) })).status,
      401,
    ],
    [
      'audit.events.permissionDenied',
      async () => (await via({ authorization: `Bearer ${read}` }, 'PUT')).status,
      403,
    ],
    [
      'audit.events.rateLimited',
      async () => {
        await via({ authorization: `Bearer ${limited}` });
        return (await via({ authorization: `Bearer ${limited}` })).status;
      },
      429,
    ],
  ];

  it('records nothing while every event is off (the default)', async () => {
    for (const [, run] of cases) await run();
    assert.deepEqual(await recorded(), []);
  });

  it('records a success with the real user as author and both IPs kept apart', async () => {
    await t.settings({ 'audit.events.authSuccess': true });
    try {
      assert.equal(
        (
          await via(
            { authorization: `Bearer ${write}`, 'x-request-id': 'req-success-1' },
            'POST',
            '/rest/api/2/issue',
          )
        ).status,
        200,
      );
      const [r] = await recorded();
      assert.ok(r);
      assert.equal(r.action, 'auth.success');
      assert.equal(r.author, 'ann');
      assert.equal(r.affectedUser, 'ann');
      assert.match(r.tokenId ?? '', /^tok_/);
      assert.equal(r.tokenDescription, 'ann write');
      assert.equal(r.sourceIp, '203.0.113.50');
      assert.equal(r.proxyIp, '127.0.0.1');
      assert.equal(r.nodeId, 'test-node');
      assert.equal(r.requestId, 'req-success-1');
      assert.equal(r.method, 'POST');
      assert.equal(r.endpoint, '/rest/api/2/issue');
      assert.equal(r.outcome, 'success');
      assert.deepEqual(r.details, { scope: 'write' });
      assert.ok(!JSON.stringify(r).includes(write), 'no secret in the record');
    } finally {
      await t.settings({ 'audit.events.authSuccess': false });
    }
  });

  it('records a token-shaped secret that matched nothing as a failed verification, authored by anonymous', async () => {
    await t.settings({ 'audit.events.authFailedVerification': true });
    try {
      assert.equal((await via({ authorization: basicAuth('ann', forged) })).status, 401);
      const [r] = await recorded();
      assert.equal(r?.action, 'auth.verification-failed');
      assert.equal(r?.author, 'anonymous');
      assert.equal(r?.affectedUser, 'ann');
      assert.equal(r?.outcome, 'unknown-token');
      assert.ok(!JSON.stringify(r).includes(forged));
    } finally {
      await t.settings({ 'audit.events.authFailedVerification': false });
    }
  });

  it('records failed token authentications: passwords while they are off, IP denials, revoked tokens', async () => {
    await t.settings({ 'audit.events.authFailedToken': true, 'auth.basicPasswords': false });
    const fencedToken = await t.tokenFor('ann', { allowedIps: ['192.0.2.0/24'] });
    const revoked = await t.tokenFor('ann', { description: 'gone' });
    await t.node.ctx.tokens.revoke(CLI_PRINCIPAL, cli, revoked.id, true);
    try {
      assert.equal((await via({ authorization: basicAuth('ann', 'ann-password-1') })).status, 401);
      assert.equal((await via({ authorization: `Bearer ${fencedToken.token}` })).status, 403);
      assert.equal((await via({ authorization: `Bearer ${revoked.token}` })).status, 401);
      const rs = await recorded();
      assert.deepEqual(
        rs.map((r) => [r.action, r.outcome, r.author, r.affectedUser]),
        [
          ['auth.failed', 'not-a-token', 'anonymous', 'ann'],
          ['auth.failed', 'ip-denied', 'anonymous', 'ann'],
          ['auth.failed', 'revoked', 'anonymous', 'ann'],
        ],
      );
      assert.equal(rs[1]?.tokenId, fencedToken.id);
      assert.equal(rs[1]?.sourceIp, '203.0.113.50');
      assert.ok(!JSON.stringify(rs).includes('ann-password-1'));
    } finally {
      await t.settings({ 'audit.events.authFailedToken': false, 'auth.basicPasswords': true });
    }
  });

  it('records a read token used for a write as permission denied, authored by its owner', async () => {
    await t.settings({ 'audit.events.permissionDenied': true });
    try {
      assert.equal((await via({ authorization: `Bearer ${read}` }, 'PUT', '/rest/api/2/myself')).status, 403);
      const [r] = await recorded();
      assert.equal(r?.action, 'auth.permission-denied');
      assert.equal(r?.author, 'ann');
      assert.equal(r?.tokenId, readId);
      assert.equal(r?.method, 'PUT');
      assert.match(r?.summary ?? '', /read-only.*the method was PUT/);
    } finally {
      await t.settings({ 'audit.events.permissionDenied': false });
    }
  });

  it('records a rate-limited request with the limit', async () => {
    const again = await t.tokenFor('ann', {
      description: 'limit 1',
      rateLimit: { requests: 1, windowSeconds: 300 },
    });
    await t.settings({ 'audit.events.rateLimited': true });
    try {
      await via({ authorization: `Bearer ${again.token}` });
      assert.equal((await via({ authorization: `Bearer ${again.token}` })).status, 429);
      const [r] = await recorded();
      assert.equal(r?.action, 'auth.rate-limited');
      assert.equal(r?.author, 'ann');
      assert.equal(r?.details?.limit, 1);
      assert.equal(r?.details?.windowSeconds, 300);
    } finally {
      await t.settings({ 'audit.events.rateLimited': false });
    }
  });

  it('turns each event on and off independently', async () => {
    assert.deepEqual(
      cases.map(([s]) => s),
      [...EVENTS],
      'every selectable event is covered',
    );
    for (const [setting, run] of cases) {
      await t.settings({ [setting]: true });
      sinceSeq = (await t.node.ctx.store.audit.head())?.seq ?? 0;
      try {
        await run();
        const rs = await recorded();
        assert.ok(rs.length >= 1, `${setting} on records`);
      } finally {
        await t.settings({ [setting]: false });
      }
      sinceSeq = (await t.node.ctx.store.audit.head())?.seq ?? 0;
      await run();
      assert.deepEqual(await recorded(), [], `${setting} off records nothing`);
    }
  });

  it('exposes the outcome and audit-queue counters as Prometheus metrics, to admins only', async () => {
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'ops-admin', groups: ['admin'] });
    const adminToken = (await t.tokenFor('ops-admin', { scope: 'read' })).token;
    const r = await fetch(`${t.adminUrl}/_tokengate/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.match(text, /tokengate_auth_outcomes_total\{outcome="authenticated",node="test-node"\} \d+/);
    assert.match(text, /tokengate_audit_events_dropped_total\{node="test-node"\} 0/);
    assert.match(text, /tokengate_audit_events_written_total\{node="test-node"\} [1-9]/);
    assert.equal(
      (await fetch(`${t.adminUrl}/_tokengate/metrics`, { headers: { authorization: `Bearer ${read}` } }))
        .status,
      403,
    );
    assert.equal((await fetch(`${t.adminUrl}/_tokengate/metrics`)).status, 401);
  });

  it('keeps the hash chain whole with authentication and administrative events interleaved', async () => {
    const { verifyAuditChain } = await import('../src/audit/verify.js');
    const result = await verifyAuditChain(t.node.ctx.store);
    assert.equal(result.ok, true, JSON.stringify(result.problem));
    assert.ok(result.checked > 10);
  });
});
