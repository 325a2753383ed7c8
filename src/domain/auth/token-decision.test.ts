import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileIpMatcher } from './ip-rules.js';
import { defaultSettings } from '../settings.js';
import {
  DENIAL_MESSAGES,
  decideToken,
  type TokenDecision,
  type TokenDecisionInput,
} from './token-decision.js';
import type { StoredToken } from '../token/token.js';
import type { User } from '../user.js';
import { ownerFixture, tokenFixture } from '../../../test/support/domain-fixtures.js';

const NOW = Date.UTC(2030, 5, 1);
const ALL = compileIpMatcher([]);

function token(overrides: Partial<StoredToken> = {}): StoredToken {
  return tokenFixture(NOW, overrides);
}

function owner(overrides: Partial<User> = {}): User {
  return ownerFixture(NOW, overrides);
}

function input(overrides: Partial<TokenDecisionInput> = {}): TokenDecisionInput {
  return {
    token: token(),
    tokenIps: ALL,
    owner: owner(),
    basicUser: null,
    readRequest: true,
    clientIp: '192.0.2.10',
    now: NOW,
    settings: defaultSettings(),
    globalIps: ALL,
    ...overrides,
  };
}

function denied(d: TokenDecision): { reason: string; status: number } {
  assert.ok(!d.ok, 'expected a denial');
  return { reason: d.reason, status: d.status };
}

describe('decideToken', () => {
  it('accepts a valid token and returns the token and its owner', () => {
    const i = input();
    const d = decideToken(i);
    assert.ok(d.ok);
    assert.equal(d.token, i.token);
    assert.equal(d.user, i.owner);
  });

  it('checks every reason in order, each hiding the later ones', () => {
    const settings = defaultSettings();
    settings['permissions.useTokens'] = ['ops'];
    // Start with everything wrong, then fix one thing at a time.
    const i = input({
      token: null,
      basicUser: 'bob',
      owner: owner({ disabled: true }),
      settings,
      globalIps: compileIpMatcher(['10.0.0.0/8']),
      tokenIps: compileIpMatcher(['172.16.0.0/12']),
      clientIp: '192.0.2.10',
      readRequest: false,
    });
    const bad = token({ revokedAt: NOW - 1, revokedBy: 'admin', expiresAt: NOW - 1, scope: 'read' });

    const steps: Array<[string, 401 | 403, () => void]> = [
      ['unknown-token', 401, () => (i.token = bad)],
      ['user-mismatch', 401, () => (i.basicUser = 'alice')],
      ['revoked', 401, () => (i.token = { ...bad, revokedAt: null, revokedBy: null })],
      ['expired', 401, () => (i.token = { ...bad, revokedAt: null, revokedBy: null, expiresAt: NOW + 1 })],
      ['user-disabled', 401, () => (i.owner = owner())],
      ['no-permission', 403, () => (i.settings = defaultSettings())],
      ['ip-denied', 403, () => (i.globalIps = ALL)],
      ['ip-denied', 403, () => (i.tokenIps = ALL)],
      ['read-only', 403, () => (i.readRequest = true)],
    ];
    for (const [reason, status, fix] of steps) {
      const d = decideToken(i);
      assert.deepEqual(denied(d), { reason, status });
      assert.equal(d.ok ? null : d.token, i.token);
      fix();
    }
    assert.equal(decideToken(i).ok, true);
  });

  it('unknown-token: 401 with no token', () => {
    const d = decideToken(input({ token: null }));
    assert.deepEqual(d, { ok: false, reason: 'unknown-token', status: 401, token: null });
  });

  it('user-mismatch: 401 when the Basic user is not the owner; Bearer has no user to compare', () => {
    assert.deepEqual(denied(decideToken(input({ basicUser: 'bob' }))), {
      reason: 'user-mismatch',
      status: 401,
    });
    assert.equal(decideToken(input({ basicUser: 'alice' })).ok, true);
    assert.equal(decideToken(input({ basicUser: null })).ok, true);
  });

  it('the Basic user name is case-insensitive by default, exact with auth.caseSensitiveUsernames', () => {
    for (const name of ['Alice', 'ALICE', 'aLiCe'])
      assert.equal(decideToken(input({ basicUser: name })).ok, true);
    // Only ASCII folds: the Kelvin sign lower-cases to k in Unicode, and must not stand for one.
    const kate = { token: token({ user: 'kate' }), owner: owner({ username: 'kate' }) };
    assert.equal(decideToken(input({ ...kate, basicUser: 'KATE' })).ok, true);
    assert.deepEqual(denied(decideToken(input({ ...kate, basicUser: '\u212aate' }))).reason, 'user-mismatch');
    const exact = { ...defaultSettings(), 'auth.caseSensitiveUsernames': true };
    assert.deepEqual(denied(decideToken(input({ basicUser: 'Alice', settings: exact }))), {
      reason: 'user-mismatch',
      status: 401,
    });
    assert.equal(decideToken(input({ basicUser: 'alice', settings: exact })).ok, true);
  });

  it('a placeholder user name (x-token-auth, oauth2, git, token, empty) lets the token decide the user', () => {
    for (const name of ['x-token-auth', 'oauth2', 'git', 'token', '', 'X-Token-Auth', 'OAUTH2']) {
      const d = decideToken(input({ basicUser: name }));
      assert.ok(d.ok, name);
      assert.equal(d.user.username, 'alice', 'the owner, never the placeholder');
    }
    // Case-sensitive user names do not make placeholders case-sensitive: they are conventions, not users.
    const exact = { ...defaultSettings(), 'auth.caseSensitiveUsernames': true };
    assert.equal(decideToken(input({ basicUser: 'X-Token-Auth', settings: exact })).ok, true);
    // A placeholder only skips the user check: the token's own checks still apply.
    const revoked = token({ revokedAt: NOW - 1, revokedBy: 'admin' });
    assert.equal(denied(decideToken(input({ basicUser: 'x-token-auth', token: revoked }))).reason, 'revoked');
  });

  it('with auth.tokenUsernamePlaceholders [] or a shorter list, other names must be the owner', () => {
    const none = { ...defaultSettings(), 'auth.tokenUsernamePlaceholders': [] };
    for (const name of ['x-token-auth', 'oauth2', '']) {
      assert.deepEqual(denied(decideToken(input({ basicUser: name, settings: none }))), {
        reason: 'user-mismatch',
        status: 401,
      });
    }
    assert.equal(decideToken(input({ basicUser: 'ALICE', settings: none })).ok, true);
    const one = { ...defaultSettings(), 'auth.tokenUsernamePlaceholders': ['x-token-auth'] };
    assert.equal(decideToken(input({ basicUser: 'x-token-auth', settings: one })).ok, true);
    assert.equal(denied(decideToken(input({ basicUser: 'oauth2', settings: one }))).reason, 'user-mismatch');
    assert.equal(denied(decideToken(input({ basicUser: '', settings: one }))).reason, 'user-mismatch');
  });

  it('revoked: 401', () => {
    const d = decideToken(input({ token: token({ revokedAt: NOW - 5, revokedBy: 'admin' }) }));
    assert.deepEqual(denied(d), { reason: 'revoked', status: 401 });
  });

  it('expired: 401 at and after expiresAt; a token without expiry never expires', () => {
    assert.deepEqual(denied(decideToken(input({ token: token({ expiresAt: NOW }) }))), {
      reason: 'expired',
      status: 401,
    });
    assert.deepEqual(denied(decideToken(input({ token: token({ expiresAt: NOW - 1 }) }))), {
      reason: 'expired',
      status: 401,
    });
    assert.equal(decideToken(input({ token: token({ expiresAt: NOW + 1 }) })).ok, true);
    assert.equal(decideToken(input({ token: token({ expiresAt: null }), now: NOW + 1e12 })).ok, true);
  });

  it('user-disabled: 401 for a disabled owner and for a deleted one (owner null)', () => {
    assert.deepEqual(denied(decideToken(input({ owner: owner({ disabled: true }) }))), {
      reason: 'user-disabled',
      status: 401,
    });
    assert.deepEqual(denied(decideToken(input({ owner: null }))), { reason: 'user-disabled', status: 401 });
  });

  it('no-permission: 403 when the owner is not in permissions.useTokens; admin always may', () => {
    const settings = defaultSettings();
    settings['permissions.useTokens'] = ['ops'];
    assert.deepEqual(denied(decideToken(input({ settings }))), { reason: 'no-permission', status: 403 });
    assert.equal(decideToken(input({ settings, owner: owner({ groups: ['dev', 'ops'] }) })).ok, true);
    assert.equal(decideToken(input({ settings, owner: owner({ groups: ['admin'] }) })).ok, true);
    settings['permissions.useTokens'] = [];
    assert.deepEqual(denied(decideToken(input({ settings }))), { reason: 'no-permission', status: 403 });
  });

  it('ip-denied: 403 when the global list refuses the client', () => {
    const globalIps = compileIpMatcher(['10.0.0.0/8']);
    assert.deepEqual(denied(decideToken(input({ globalIps, clientIp: '192.0.2.10' }))), {
      reason: 'ip-denied',
      status: 403,
    });
    assert.equal(decideToken(input({ globalIps, clientIp: '10.1.2.3' })).ok, true);
  });

  it("ip-denied: 403 when the token's own list refuses the client", () => {
    const tokenIps = compileIpMatcher(['2001:db8::/32']);
    assert.deepEqual(denied(decideToken(input({ tokenIps, clientIp: '2001:db9::1' }))), {
      reason: 'ip-denied',
      status: 403,
    });
    assert.equal(decideToken(input({ tokenIps, clientIp: '2001:db8::1' })).ok, true);
  });

  it('ip-denied: both lists must allow the client', () => {
    const globalIps = compileIpMatcher(['10.0.0.0/8']);
    const tokenIps = compileIpMatcher(['10.1.0.0/16']);
    assert.equal(decideToken(input({ globalIps, tokenIps, clientIp: '10.1.2.3' })).ok, true);
    assert.equal(
      denied(decideToken(input({ globalIps, tokenIps, clientIp: '10.2.0.1' }))).reason,
      'ip-denied',
    );
  });

  it('read-only: 403 for a request that is not a read; reads pass', () => {
    assert.deepEqual(denied(decideToken(input({ readRequest: false }))), {
      reason: 'read-only',
      status: 403,
    });
    assert.equal(decideToken(input({ readRequest: true })).ok, true);
  });

  it('write scope allows reads and writes', () => {
    for (const readRequest of [true, false]) {
      assert.equal(decideToken(input({ token: token({ scope: 'write' }), readRequest })).ok, true);
    }
  });

  it('has a message for every denial reason', () => {
    assert.deepEqual(Object.keys(DENIAL_MESSAGES).sort(), [
      'expired',
      'ip-denied',
      'no-permission',
      'read-only',
      'revoked',
      'rotated',
      'unknown-token',
      'user-disabled',
      'user-mismatch',
    ]);
    for (const m of Object.values(DENIAL_MESSAGES)) assert.ok(m.length > 0);
  });
});
