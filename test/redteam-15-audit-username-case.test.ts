import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { generateToken } from '../src/domain/token/format.js';
import { basicAuth, startTestNode, type TestNode } from './support/node.js';

const API = '/_tokengate/api/v1';

/**
 * Red team, issue 15: user names are case-insensitive by default, so `ADMIN:<guess>` is a guess at
 * admin's password (the brute-force guard counts it on admin's budget, and a block it starts names
 * admin). The audit record of each failed guess must name admin too: an operator who searches the
 * audit log for failed authentications of `affectedUser=admin` must see guesses sent as ADMIN or
 * Admin, or password guessing against admin hides from that search by upper-casing one letter.
 */
describe('red team 15: audit records of case variants of a user name', () => {
  let t: TestNode;

  before(async () => {
    t = await startTestNode(null);
    await t.settings({
      'audit.events.authFailedToken': true,
      'audit.events.authFailedVerification': true,
    });
  });
  after(async () => t?.close());

  const failedFor = async (user: string, since: number): Promise<AuditRecord[]> => {
    await t.node.runtime.auditQueue.flush();
    return (
      await t.node.ctx.store.audit.search({ category: 'authentication', affectedUser: user }, 100)
    ).filter((r) => r.seq > since && r.action !== 'security.blocked');
  };
  const head = async (): Promise<number> => {
    await t.node.runtime.auditQueue.flush();
    return (await t.node.ctx.store.audit.head())?.seq ?? 0;
  };

  it('management API: a wrong password sent as ADMIN is recorded as a failure for admin', async () => {
    const since = await head();
    for (const name of ['admin', 'ADMIN', 'Admin']) {
      const r = await fetch(`${t.adminUrl}${API}/me`, {
        headers: { authorization: basicAuth(name, 'not-the-password') },
      });
      assert.equal(r.status, 401, name);
    }
    const records = await failedFor('admin', since);
    assert.equal(
      records.length,
      3,
      `expected 3 failed-password records for admin (admin, ADMIN, Admin), got: ${JSON.stringify(records.map((r) => r.summary))}`,
    );
    for (const r of records) assert.doesNotMatch(r.summary, /invalid user name/);
  });

  it('gateway: an unknown token sent as ADMIN:<token> is recorded for admin, as admin:<token> is', async () => {
    const since = await head();
    for (const name of ['admin', 'ADMIN']) {
      const r = await fetch(`${t.url}/rest/x`, {
        headers: { authorization: basicAuth(name, generateToken()) },
      });
      assert.equal(r.status, 401, name);
    }
    const records = await failedFor('admin', since);
    assert.equal(
      records.length,
      2,
      `expected 2 records for admin (admin, ADMIN), got: ${JSON.stringify(records.map((r) => r.summary))}`,
    );
  });
});
