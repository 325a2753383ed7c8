import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ssoHeaderUser, type SsoHeaderRules } from './sso-headers.js';

const AUTHELIA: SsoHeaderRules = {
  user: 'remote-user',
  groups: 'remote-groups',
  email: 'remote-email',
  name: 'remote-name',
  groupSeparator: ',',
};

describe('ssoHeaderUser', () => {
  it('reads user, groups, e-mail and name; lower-cases the user name; trims and de-duplicates groups', () => {
    assert.deepEqual(
      ssoHeaderUser(
        {
          'remote-user': 'Carol',
          'remote-groups': 'tg-admins, staff,,staff',
          'remote-email': 'carol@example.test',
          'remote-name': 'Carol C',
        },
        AUTHELIA,
      ),
      {
        username: 'carol',
        displayName: 'Carol C',
        email: 'carol@example.test',
        groups: ['tg-admins', 'staff'],
        disabled: false,
      },
    );
  });

  it('defaults the display name to the user name, no e-mail and no groups', () => {
    assert.deepEqual(ssoHeaderUser({ 'remote-user': 'dave' }, AUTHELIA), {
      username: 'dave',
      displayName: 'dave',
      email: null,
      groups: [],
      disabled: false,
    });
  });

  it('uses the configured names and separator (Authentik: x-authentik-*, "|")', () => {
    const rules = {
      ...AUTHELIA,
      user: 'x-authentik-username',
      groups: 'x-authentik-groups',
      groupSeparator: '|',
    };
    assert.deepEqual(
      ssoHeaderUser(
        { 'x-authentik-username': 'erin', 'x-authentik-groups': 'a|b', 'remote-user': 'admin' },
        rules,
      )?.groups,
      ['a', 'b'],
    );
    assert.equal(ssoHeaderUser({ 'remote-user': 'admin' }, rules), null, 'other names are not read');
  });

  it('names nobody for a missing, empty, repeated or impossible user header', () => {
    assert.equal(ssoHeaderUser({}, AUTHELIA), null);
    assert.equal(ssoHeaderUser({ 'remote-user': '  ' }, AUTHELIA), null);
    assert.equal(ssoHeaderUser({ 'remote-user': ['carol', 'admin'] }, AUTHELIA), null);
    assert.equal(ssoHeaderUser({ 'remote-user': 'not a name!' }, AUTHELIA), null);
    assert.equal(ssoHeaderUser({ 'remote-user': 'x'.repeat(5000) }, AUTHELIA), null);
  });
});
