import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../src/config/config.js';
import { basicAuth, startTestNode, type TestNode } from './support/node.js';
import { LDAP_FIXTURE, requireSlapd, startSlapd, type Slapd } from './support/slapd.js';

/**
 * A whole node with identity.ldap on a real slapd (test/fixtures/ldap/users.ldif): alice (tg-admins,
 * tg-users) signs in to the web UI with her LDAP password and is an admin through
 * identity.groups.admin; bob (tg-users) is not; bob's token works through the gateway until bob is
 * removed from LDAP and the sync runs; a directory that is down answers 503, never "wrong password".
 */
const slapdNeed = requireSlapd();
const API = '/_tokengate/api/v1';
const P = LDAP_FIXTURE.passwords;

type LdapConfig = NonNullable<Config['identity']['ldap']>;

function ldapConfig(url: string, bindPasswordFile: string): LdapConfig {
  return {
    url,
    startTls: false,
    caFile: null,
    rejectUnauthorized: true,
    bindDn: LDAP_FIXTURE.serviceDn,
    bindPasswordFile,
    bindPasswordEnv: null,
    userBaseDn: LDAP_FIXTURE.peopleDn,
    userFilter: '(&(objectClass=person)(uid={username}))',
    attributes: { username: 'uid', displayName: 'cn', email: 'mail', memberOf: 'memberOf' },
    groupSearch: null,
    activeDirectory: false,
    disabledFilter: LDAP_FIXTURE.disabledFilter,
    timeoutMs: 2_000,
    // The test runs the sync itself.
    syncIntervalSeconds: 86_400,
  };
}

describe('identity: users from LDAP on a whole node', slapdNeed ?? {}, () => {
  let slapd: Slapd;
  let t: TestNode;
  let secretDir: string;

  const signIn = (username: string, password: string): Promise<Response> =>
    fetch(`${t.adminUrl}${API}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  const session = async (username: string, password: string): Promise<Record<string, string>> => {
    const r = await signIn(username, password);
    assert.equal(r.status, 200, `${username} signs in with the LDAP password`);
    const cookie = /tg_session=[^;]*/.exec(r.headers.get('set-cookie') ?? '')?.[0] ?? '';
    const { csrfToken } = (await r.json()) as { csrfToken: string };
    return { cookie, 'x-csrf-token': csrfToken };
  };

  before(async () => {
    slapd = await startSlapd();
    secretDir = mkdtempSync(join(tmpdir(), 'tg-ldap-secret-'));
    const bindPasswordFile = join(secretDir, 'bind-password');
    writeFileSync(bindPasswordFile, `${LDAP_FIXTURE.servicePassword}\n`, { mode: 0o600 });
    t = await startTestNode(null, (c) => {
      c.identity.ldap = ldapConfig(slapd.url, bindPasswordFile);
      c.identity.groups.admin = ['tg-admins'];
    });
  });
  after(async () => {
    await t?.close();
    await slapd?.stop();
    rmSync(secretDir, { recursive: true, force: true });
  });

  it('alice signs in to the web UI with her LDAP password and is an admin through identity.groups.admin', async () => {
    const alice = await session('alice', P.alice);
    const me = await fetch(`${t.adminUrl}${API}/me`, { headers: alice });
    assert.equal(me.status, 200);
    const body = (await me.json()) as {
      user: { username: string; groups: string[]; source: string };
      permissions: { admin: boolean };
    };
    assert.equal(body.user.username, 'alice');
    assert.equal(body.user.source, 'ldap');
    assert.ok(body.user.groups.includes('admin') && body.permissions.admin, 'tg-admins maps to admin');
    assert.ok(body.user.groups.includes('tg-users'), 'directory groups are kept as they are');
    const users = await fetch(`${t.adminUrl}${API}/admin/users`, { headers: alice });
    assert.equal(users.status, 200, 'an admin lists users');
    const stored = await t.node.ctx.store.users.find('alice');
    assert.equal(stored?.source, 'ldap');
    assert.equal(stored?.passwordHash, null, 'no password is kept for a directory user');
    assert.equal(typeof stored?.lastSignInAt, 'number');
  });

  it('a wrong LDAP password is refused (401) and the local admin still signs in locally', async () => {
    assert.equal((await signIn('alice', 'not-her-password')).status, 401);
    assert.equal((await signIn('admin', 'admin-password-1')).status, 200);
  });

  it('Basic with the LDAP password works on the management API', async () => {
    const r = await fetch(`${t.adminUrl}${API}/me`, {
      headers: { authorization: basicAuth('alice', P.alice) },
    });
    assert.equal(r.status, 200);
  });

  it("bob is not an admin; bob's token works through the gateway until bob leaves LDAP and the sync runs", async () => {
    const bob = await session('bob', P.bob);
    assert.equal((await fetch(`${t.adminUrl}${API}/admin/users`, { headers: bob })).status, 403);
    const created = await fetch(`${t.adminUrl}${API}/tokens`, {
      method: 'POST',
      headers: { ...bob, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'bob script', scope: 'read' }),
    });
    assert.equal(created.status, 201);
    const { token } = (await created.json()) as { token: string };
    const use = () => fetch(`${t.url}/`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await use()).status, 200, 'the token works while bob is in the directory');

    await slapd.delete(`uid=bob,${LDAP_FIXTURE.peopleDn}`);
    const sync = t.node.runtime.directorySync;
    assert.ok(sync, 'identity.ldap starts the sync');
    const report = await sync.run();
    assert.deepEqual(report.disabled, ['bob']);
    assert.equal(report.directoryDown, false);
    assert.equal((await use()).status, 401, 'the token stops at once after the sync');
    const stored = await t.node.ctx.store.users.find('bob');
    assert.equal(stored?.disabled, true);
    assert.equal(stored?.disabledReason, 'directory-sync');

    const rows = await t.node.ctx.store.audit.search({ action: 'user.disabled' }, 10);
    const record = rows.find((r) => r.affectedUser === 'bob');
    assert.ok(record, 'the sync is audited');
    assert.equal(record.author, '@directory-sync');
    assert.match(JSON.stringify(record.details), /directory-sync/);
  });

  it('a directory that is down answers 503 on sign-in, never "wrong password"', async () => {
    await slapd.stop();
    const r = await signIn('alice', P.alice);
    assert.equal(r.status, 503);
    const report = await t.node.runtime.directorySync?.run();
    assert.equal(report?.directoryDown, true, 'the sync skips the round');
    assert.equal((await t.node.ctx.store.users.find('alice'))?.disabled, false, 'and disables nobody');
  });
});
