import assert from 'node:assert/strict';
import { test } from 'node:test';

import { identityFromClaims } from './oidc-claims.js';
import { OidcError } from './oidc-error.js';

const RULES = { usernameClaim: 'preferred_username', groupsClaim: 'groups' };
const BASE = { iss: 'https://idp.example.test', sub: 'u-123' };

function refusedClaim(fn: () => unknown, claim: string): void {
  assert.throws(fn, (e: unknown) => e instanceof OidcError && e.reason === 'claims' && e.detail === claim);
}

test('the identity from standard claims, the username ASCII-folded', () => {
  const id = identityFromClaims(
    {
      ...BASE,
      preferred_username: 'Alice.Smith',
      name: ' Alice ',
      email: 'a@x.test',
      groups: ['a', 'b', 'a', ''],
    },
    RULES,
  );
  assert.deepEqual(id, {
    username: 'alice.smith',
    displayName: 'Alice',
    email: 'a@x.test',
    groups: ['a', 'b'],
    sub: 'u-123',
    issuer: 'https://idp.example.test',
  });
});

test('defaults: display name is the username, no email, no groups', () => {
  const id = identityFromClaims({ ...BASE, preferred_username: 'bob' }, RULES);
  assert.equal(id.displayName, 'bob');
  assert.equal(id.email, null);
  assert.deepEqual(id.groups, []);
});

test('an e-mail the provider says is unverified is not used', () => {
  const id = identityFromClaims(
    { ...BASE, preferred_username: 'bob', email: 'b@x.test', email_verified: false },
    RULES,
  );
  assert.equal(id.email, null);
});

test('usernames tokengate cannot hold are refused, not rewritten', () => {
  for (const bad of [
    '',
    'has space',
    'ünïcode',
    '-leading',
    'K\u212Aelvin',
    'a'.repeat(65),
    42,
    null,
    ['x'],
  ]) {
    refusedClaim(() => identityFromClaims({ ...BASE, preferred_username: bad }, RULES), 'preferred_username');
  }
});

test('a missing username claim is refused unless a fallback is configured', () => {
  refusedClaim(() => identityFromClaims({ ...BASE }, RULES), 'preferred_username');
  const id = identityFromClaims(
    { ...BASE, email: 'Carol@X.test' },
    { ...RULES, usernameFallbackClaim: 'email' },
  );
  assert.equal(id.username, 'carol@x.test');
  refusedClaim(() => identityFromClaims({ ...BASE }, { ...RULES, usernameFallbackClaim: 'email' }), 'email');
});

test('groups: a single string, a namespaced claim, a nested path', () => {
  const u = { ...BASE, preferred_username: 'u' };
  assert.deepEqual(identityFromClaims({ ...u, groups: 'one' }, RULES).groups, ['one']);
  const ns = 'https://example.test/groups';
  assert.deepEqual(identityFromClaims({ ...u, [ns]: ['g'] }, { ...RULES, groupsClaim: ns }).groups, ['g']);
  const kc = { ...RULES, groupsClaim: 'realm_access.roles' };
  assert.deepEqual(identityFromClaims({ ...u, realm_access: { roles: ['admin'] } }, kc).groups, ['admin']);
  assert.deepEqual(identityFromClaims({ ...u, realm_access: 'x' }, kc).groups, []);
});

test('malformed groups are refused', () => {
  const u = { ...BASE, preferred_username: 'u' };
  for (const bad of [
    { a: 1 },
    [1],
    ['ok', null],
    7,
    ['x'.repeat(300)],
    Array.from({ length: 1001 }, (_, i) => `g${i}`),
  ]) {
    refusedClaim(() => identityFromClaims({ ...u, groups: bad }, RULES), 'groups');
  }
});

test('sub and iss must be present', () => {
  refusedClaim(() => identityFromClaims({ iss: BASE.iss, preferred_username: 'u' }, RULES), 'sub');
  refusedClaim(() => identityFromClaims({ sub: 's', preferred_username: 'u' }, RULES), 'iss');
});

test('nested lookups do not walk the prototype', () => {
  const id = identityFromClaims(
    { ...BASE, preferred_username: 'u' },
    { ...RULES, groupsClaim: 'constructor.name' },
  );
  assert.deepEqual(id.groups, []);
});
