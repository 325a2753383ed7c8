import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, API, basic, bearer, call, harness, type Harness } from './support/harness.js';

/**
 * Issue 14, finding 7: a token never gains management permissions that its creator could not have
 * granted. A token manager creates a token for bob; bob is then put in the admin group (or his
 * group is given permissions.manageAllTokens): the manager's copy of bob's token must not read
 * admin settings, create users or list every token. Bob's own tokens keep working.
 */

const MGR_PASSWORD = 'mgr-password-12';
const BOB_PASSWORD = 'bob-password-12';
const CAROL_PASSWORD = 'carol-password-1';

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('promotion: a token made by someone else does not become a management token', () => {
  let h: Harness;
  const admin = () => basic('admin', ADMIN_PASSWORD);

  before(async () => {
    h = await harness();
    await h.addUser('mgr', ['managers'], MGR_PASSWORD);
    await h.addUser('bob', [], BOB_PASSWORD);
    await h.addUser('carol', ['ops'], CAROL_PASSWORD);
    const s = await call(h.api, {
      method: 'PATCH',
      url: `${API}/admin/settings`,
      auth: admin(),
      body: { 'permissions.manageAllTokens': ['managers'] },
    });
    assert.equal(s.statusCode, 200, s.body);
  });
  after(async () => h.close());

  /** A token the manager creates for `user` through the API (the manager keeps the plain value). */
  const managerMakes = async (user: string): Promise<string> => {
    const r = await call(h.api, {
      method: 'POST',
      url: `${API}/admin/users/${user}/tokens`,
      auth: basic('mgr', MGR_PASSWORD),
      body: { description: `made by mgr for ${user}`, scope: 'write' },
    });
    assert.equal(r.statusCode, 201, r.body);
    return (r.data as { token: string }).token;
  };
  const ownToken = async (user: string, password: string): Promise<string> => {
    const r = await call(h.api, {
      method: 'POST',
      url: `${API}/tokens`,
      auth: basic(user, password),
      body: { description: `${user}'s own`, scope: 'write' },
    });
    assert.equal(r.statusCode, 201, r.body);
    return (r.data as { token: string }).token;
  };

  it("bob put in the admin group: the manager's copy of his token reads no settings and creates no user", async () => {
    const copy = await managerMakes('bob');
    const own = await ownToken('bob', BOB_PASSWORD);
    const p = await call(h.api, {
      method: 'PATCH',
      url: `${API}/admin/users/bob`,
      auth: admin(),
      body: { groups: ['admin'] },
    });
    assert.equal(p.statusCode, 200, p.body);

    const settings = await call(h.api, { method: 'GET', url: `${API}/admin/settings`, auth: bearer(copy) });
    assert.ok(settings.statusCode === 401 || settings.statusCode === 403, `settings: ${settings.statusCode}`);
    const created = await call(h.api, {
      method: 'POST',
      url: `${API}/admin/users`,
      auth: bearer(copy),
      body: { username: 'backdoor', groups: ['admin'] },
    });
    assert.ok(created.statusCode === 401 || created.statusCode === 403, `create user: ${created.statusCode}`);
    assert.equal(await h.ctx.store.users.find('backdoor'), null);

    // Bob's own token is his: it now carries his new permissions.
    const mine = await call(h.api, { method: 'GET', url: `${API}/admin/settings`, auth: bearer(own) });
    assert.equal(mine.statusCode, 200, mine.body);

    // The revocation is audited with its reason.
    const rows = await h.ctx.store.audit.search({ action: 'token.revoked' }, 100);
    const rec = rows.find(
      (r) => r.affectedUser === 'bob' && (r.details as { reason?: string }).reason === 'promoted',
    );
    assert.ok(rec, 'a token.revoked record with reason promoted');
    assert.match(rec.summary, /created by mgr/);
  });

  it("carol's group given permissions.manageAllTokens: the manager's copy of her token lists no tokens", async () => {
    const copy = await managerMakes('carol');
    const before = await call(h.api, { method: 'GET', url: `${API}/admin/tokens`, auth: bearer(copy) });
    assert.equal(before.statusCode, 403, 'not a token manager yet');
    const s = await call(h.api, {
      method: 'PATCH',
      url: `${API}/admin/settings`,
      auth: admin(),
      body: { 'permissions.manageAllTokens': ['managers', 'ops'] },
    });
    assert.equal(s.statusCode, 200, s.body);
    const status = await until('the copy to be refused', async () => {
      const r = await call(h.api, { method: 'GET', url: `${API}/admin/tokens`, auth: bearer(copy) });
      return r.statusCode === 200 ? null : r.statusCode;
    });
    assert.ok(status === 401 || status === 403, `list all tokens: ${status}`);
  });

  it('a group change that widens nothing revokes nothing', async () => {
    await h.addUser('dave', [], 'dave-password-1');
    const daves = await managerMakes('dave');
    const p = await call(h.api, {
      method: 'PATCH',
      url: `${API}/admin/users/dave`,
      auth: admin(),
      body: { groups: ['dev'] },
    });
    assert.equal(p.statusCode, 200, p.body);
    const me = await call(h.api, { method: 'GET', url: `${API}/me`, auth: bearer(daves) });
    assert.equal(me.statusCode, 200, me.body);
  });
});
