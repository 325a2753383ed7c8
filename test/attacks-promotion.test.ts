import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../src/domain/token/hash.js';
import { ADMIN_PASSWORD, API, basic, bearer, call, harness, type Harness } from './support/harness.js';

/**
 * Issue 14, finding 7: a token never gains management permissions that whoever holds its secret
 * could not have granted (its creator, or whoever a rotation handed a secret to; red team F2). A token manager creates a token for bob; bob is then put in the admin group (or his
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

  /** Rotates token `id` as `auth` (a manager through /admin, anyone else through /tokens). */
  const rotate = async (
    path: string,
    auth: string,
    graceSeconds: number,
  ): Promise<{ token: string; record: { id: string; createdBy: string; secretIssuedBy?: unknown } }> => {
    const r = await call(h.api, { method: 'POST', url: `${API}${path}`, auth, body: { graceSeconds } });
    assert.equal(r.statusCode, 200, r.body);
    return r.data as { token: string; record: { id: string; createdBy: string; secretIssuedBy?: unknown } };
  };
  const tokenId = async (secret: string): Promise<string> => {
    const row = await h.ctx.store.tokens.findByHash(hashToken(secret));
    assert.ok(row, 'the token exists');
    return row.id;
  };
  const promote = async (user: string): Promise<void> => {
    const p = await call(h.api, {
      method: 'PATCH',
      url: `${API}/admin/users/${user}`,
      auth: admin(),
      body: { groups: ['admin'] },
    });
    assert.equal(p.statusCode, 200, p.body);
  };
  /** The copy reads no admin settings and creates no user. */
  const refusedAsAdmin = async (secret: string, what: string): Promise<void> => {
    const settings = await call(h.api, { method: 'GET', url: `${API}/admin/settings`, auth: bearer(secret) });
    assert.ok(
      settings.statusCode === 401 || settings.statusCode === 403,
      `${what}: settings ${settings.statusCode}`,
    );
    const username = `backdoor-${what.replace(/[^a-z]/g, '')}`;
    const created = await call(h.api, {
      method: 'POST',
      url: `${API}/admin/users`,
      auth: bearer(secret),
      body: { username, groups: ['admin'] },
    });
    assert.ok(
      created.statusCode === 401 || created.statusCode === 403,
      `${what}: create user ${created.statusCode}`,
    );
    assert.equal(await h.ctx.store.users.find(username), null);
  };

  it("red team F2: a manager rotates erin's own token, erin is promoted: the manager's new secret is no admin token", async () => {
    await h.addUser('erin', [], 'erin-password-1');
    const own = await ownToken('erin', 'erin-password-1');
    const id = await tokenId(own);
    const rotated = await rotate(`/admin/tokens/${id}/rotate`, basic('mgr', MGR_PASSWORD), 0);
    assert.equal(rotated.record.createdBy, 'erin');
    await promote('erin');
    await refusedAsAdmin(rotated.token, 'rotated copy');
    assert.equal(rotated.record.secretIssuedBy, 'mgr', 'the new secret was handed to mgr');

    const rows = await h.ctx.store.audit.search({ action: 'token.revoked', tokenId: id }, 10);
    const rec = rows.find((r) => (r.details as { reason?: string }).reason === 'promoted');
    assert.ok(rec, 'a token.revoked record with reason promoted');
    assert.match(rec.summary, /secret was issued to mgr/);
    assert.equal((rec.details as { secretIssuedBy?: string }).secretIssuedBy, 'mgr');
  });

  it("a token rotating itself keeps the issuer: the manager's self-rotated copy is no admin token either", async () => {
    await h.addUser('fay', [], 'fay-password-12');
    const id = await tokenId(await ownToken('fay', 'fay-password-12'));
    const first = await rotate(`/admin/tokens/${id}/rotate`, basic('mgr', MGR_PASSWORD), 0);
    // The manager's copy rotates itself: the principal is fay, but the secret goes to mgr.
    const second = await rotate(`/tokens/${id}/rotate`, bearer(first.token), 0);
    await promote('fay');
    await refusedAsAdmin(second.token, 'self rotated copy');
    assert.equal(second.record.secretIssuedBy, 'mgr');
  });

  it("a former secret still in its grace period, issued to a manager: the owner's promotion revokes the token", async () => {
    await h.addUser('gus', [], 'gus-password-12');
    const id = await tokenId(await ownToken('gus', 'gus-password-12'));
    const mgrs = await rotate(`/admin/tokens/${id}/rotate`, basic('mgr', MGR_PASSWORD), 0);
    // gus rotates with his password: the current secret is his, mgr's works for an hour more.
    const gus = await rotate(`/tokens/${id}/rotate`, basic('gus', 'gus-password-12'), 3600);
    await promote('gus');
    await refusedAsAdmin(mgrs.token, 'grace copy');
    assert.equal(gus.record.secretIssuedBy, 'gus');
    const rows = await h.ctx.store.audit.search({ action: 'token.revoked', tokenId: id }, 10);
    const rec = rows.find((r) => (r.details as { reason?: string }).reason === 'promoted');
    assert.ok(rec, 'revoked on promotion');
    assert.deepEqual((rec.details as { formerSecretsIssuedTo?: string[] }).formerSecretsIssuedTo, ['mgr']);
  });

  it("a former secret rotating itself: the holder is unknown, never laundered into the owner's name", async () => {
    await h.addUser('ida', [], 'ida-password-12');
    const id = await tokenId(await ownToken('ida', 'ida-password-12'));
    const mgrs = await rotate(`/admin/tokens/${id}/rotate`, basic('mgr', MGR_PASSWORD), 0);
    await rotate(`/tokens/${id}/rotate`, basic('ida', 'ida-password-12'), 3600);
    // mgr's former secret, still in its grace period, rotates the token with no grace: every other
    // secret stops, and the new one is mgr's, though the request cannot say so.
    const laundered = await rotate(`/tokens/${id}/rotate`, bearer(mgrs.token), 0);
    assert.equal(laundered.record.secretIssuedBy, null);
    await promote('ida');
    await refusedAsAdmin(laundered.token, 'laundered copy');
  });

  it("the owner's own rotations keep the token when promoted", async () => {
    await h.addUser('hal', [], 'hal-password-12');
    const id = await tokenId(await ownToken('hal', 'hal-password-12'));
    const r1 = await rotate(`/tokens/${id}/rotate`, basic('hal', 'hal-password-12'), 3600);
    const r2 = await rotate(`/tokens/${id}/rotate`, bearer(r1.token), 3600);
    await promote('hal');
    const mine = await call(h.api, { method: 'GET', url: `${API}/admin/settings`, auth: bearer(r2.token) });
    assert.equal(mine.statusCode, 200, mine.body);
    assert.equal(r2.record.secretIssuedBy, 'hal');
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
