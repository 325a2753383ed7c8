import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bootstrap, openApp, type AppContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import {
  CLI_PRINCIPAL,
  hasPermission,
  mapDirectoryGroups,
  withIdentityGroups,
} from '../src/domain/auth/permissions.js';
import { settingsFromStored } from '../src/domain/settings.js';
import { silentLogger } from '../src/log/logger.js';
import { DirectoryUnavailableError, type Directory, type DirectoryUser } from '../src/ports/directory.js';
import { systemContext } from '../src/services/context.js';
import { DirectorySync } from '../src/services/directory-sync.js';

/**
 * Group mapping (pure), just-in-time users (Provisioning) and the sync round (DirectorySync) on
 * in-memory SQLite, with a directory held in a map: what the slapd suite
 * (identity-ldap.test.ts) does not reach, such as a local user of the same name or OIDC inactivity.
 */
const GROUPS = { admin: ['tg-admins'], manageAllTokens: ['ops'], createOwnTokens: [], useTokens: ['staff'] };
const ctxOf = systemContext('sso-test');
const DAY = 86_400_000;

function person(username: string, groups: string[] = [], extra: Partial<DirectoryUser> = {}): DirectoryUser {
  return {
    username,
    displayName: username.toUpperCase(),
    email: `${username}@example.test`,
    groups,
    disabled: false,
    ...extra,
  };
}

/** A directory in a map; `down` makes every call fail as an unreachable server does. */
class MapDirectory implements Directory {
  readonly kind = 'ldap';
  readonly people = new Map<string, DirectoryUser>();
  down = false;
  async verifyPassword(): Promise<never> {
    throw new Error('not used here');
  }
  async find(username: string): Promise<DirectoryUser | null> {
    if (this.down) throw new DirectoryUnavailableError('down');
    return this.people.get(username) ?? null;
  }
  async close(): Promise<void> {}
}

describe('group mapping (pure)', () => {
  const valid = (g: string) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(g);

  it('keeps directory groups, adds admin only through identity.groups.admin', () => {
    assert.deepEqual(mapDirectoryGroups(['tg-admins', 'dev'], GROUPS, valid), ['tg-admins', 'dev', 'admin']);
    assert.deepEqual(mapDirectoryGroups(['dev'], GROUPS, valid), ['dev']);
  });

  it('a directory group that is merely called admin gives nothing; names tokengate cannot hold are left out', () => {
    assert.deepEqual(mapDirectoryGroups(['admin', 'Domain Users', 'dev'], GROUPS, valid), ['dev']);
  });

  it('config groups count in permission checks without changing the stored lists', () => {
    const s = settingsFromStored({}).settings;
    assert.equal(
      withIdentityGroups(s, { admin: [], manageAllTokens: [], createOwnTokens: [], useTokens: [] }),
      s,
    );
    const merged = withIdentityGroups(s, GROUPS);
    assert.equal(hasPermission({ groups: ['ops'] }, 'manageAllTokens', s), false);
    assert.equal(hasPermission({ groups: ['ops'] }, 'manageAllTokens', merged), true);
    assert.deepEqual(s['permissions.manageAllTokens'], ['admin'], 'the settings themselves are untouched');
  });
});

describe('provisioning and the directory sync', () => {
  let app: AppContext;
  let clock = Date.UTC(2026, 5, 1);
  const directory = new MapDirectory();
  let sync: DirectorySync;

  before(async () => {
    const config = loadConfig(
      { db: ':memory:', nodeId: 'test-node' },
      { TOKENGATE_ADMIN_PASSWORD: 'admin-password-1' },
    );
    config.identity.groups = GROUPS;
    app = await openApp(config, { log: silentLogger, now: () => clock });
    await bootstrap(app, () => undefined);
    sync = new DirectorySync(
      app,
      app.provisioning,
      directory,
      { oidcInactiveDays: 30 },
      { warn: () => undefined },
    );
  });
  after(async () => {
    await app.close();
  });

  it('creates a user just in time, with mapped groups, no password and the source recorded', async () => {
    const u = await app.provisioning.signIn('ldap', person('erin', ['tg-admins']), ctxOf);
    assert.equal(u.source, 'ldap');
    assert.equal(u.passwordHash, null);
    assert.deepEqual(u.groups, ['tg-admins', 'admin']);
    assert.equal(u.lastSignInAt, clock);
    const rows = await app.store.audit.search({ action: 'user.created', affectedUser: 'erin' }, 5);
    assert.equal(rows.length, 1);
    assert.equal(hasPermission(u, 'manageAllTokens', app.settings.current), true);
    assert.equal(
      hasPermission({ groups: ['ops'] }, 'manageAllTokens', app.settings.current),
      true,
      'config group',
    );
  });

  it('updates names and groups at the next sign-in, audited', async () => {
    clock += 1000;
    const u = await app.provisioning.signIn(
      'ldap',
      person('erin', ['dev'], { displayName: 'Erin E.' }),
      ctxOf,
    );
    assert.deepEqual(u.groups, ['dev']);
    assert.equal(u.displayName, 'Erin E.');
    const rows = await app.store.audit.search({ action: 'user.updated', affectedUser: 'erin' }, 5);
    assert.equal(rows.length, 1);
    await assert.rejects(
      app.users.update(CLI_PRINCIPAL, ctxOf, 'erin', { password: 'a-local-password' }),
      /kept by ldap/,
      'a directory user gets no local password',
    );
  });

  it('never merges an SSO identity into a local user or a service account', async () => {
    await app.users.create(CLI_PRINCIPAL, ctxOf, { username: 'frank' });
    await app.users.create(CLI_PRINCIPAL, ctxOf, {
      username: 'ci-bot',
      serviceAccount: true,
      ownerGroup: 'dev',
    });
    for (const name of ['frank', 'ci-bot', 'admin'])
      await assert.rejects(
        app.provisioning.signIn('oidc', person(name), ctxOf),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'forbidden');
          return true;
        },
      );
    assert.equal((await app.store.users.find('ci-bot'))?.source, 'service');
  });

  it('a user an administrator disabled stays disabled; one the sync disabled comes back by signing in', async () => {
    await app.users.update(CLI_PRINCIPAL, ctxOf, 'erin', { disabled: true });
    await assert.rejects(
      app.provisioning.signIn('ldap', person('erin'), ctxOf),
      /disabled by an administrator/,
    );
    await app.users.update(CLI_PRINCIPAL, ctxOf, 'erin', { disabled: false });
    assert.equal(await app.provisioning.suspend('erin', 'directory-sync', 'test', ctxOf), true);
    const back = await app.provisioning.signIn('ldap', person('erin'), ctxOf);
    assert.equal(back.disabled, false);
    assert.equal(back.disabledReason, null);
  });

  it('the sync disables users gone or disabled in the directory, updates the rest, and skips a round when it is down', async () => {
    await app.provisioning.signIn('ldap', person('gina', ['dev']), ctxOf);
    await app.provisioning.signIn('ldap', person('hal', ['dev']), ctxOf);
    directory.people.set('erin', person('erin', ['dev', 'qa']));
    directory.people.set('gina', person('gina', ['dev'], { disabled: true }));
    directory.down = true;
    const skipped = await sync.run();
    assert.equal(skipped.directoryDown, true);
    assert.deepEqual(skipped.disabled, []);
    directory.down = false;
    const r = await sync.run();
    assert.deepEqual(r.disabled.sort(), ['gina', 'hal']);
    assert.deepEqual(r.updated, ['erin']);
    assert.deepEqual((await app.store.users.find('erin'))?.groups, ['dev', 'qa']);
    const rows = await app.store.audit.search({ action: 'user.disabled', affectedUser: 'hal' }, 5);
    assert.equal(rows[0]?.author, '@directory-sync');
  });

  it('suspends OIDC users who have not signed in for inactiveDays', async () => {
    await app.provisioning.signIn('oidc', person('ivy'), ctxOf);
    clock += 31 * DAY;
    await app.provisioning.signIn('oidc', person('jay'), ctxOf);
    const r = await sync.run();
    assert.deepEqual(r.suspended, ['ivy']);
    assert.equal((await app.store.users.find('ivy'))?.disabledReason, 'inactive');
    assert.equal(
      (await app.provisioning.signIn('oidc', person('ivy'), ctxOf)).disabled,
      false,
      'back by signing in',
    );
  });
});
