import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { andFilters, escapeFilterValue, fillFilter, firstRdnValue } from './filter.js';

describe('escapeFilterValue (RFC 4515)', () => {
  it('leaves ordinary names alone', () => {
    assert.equal(escapeFilterValue('alice.smith@example-1'), 'alice.smith@example-1');
    assert.equal(escapeFilterValue('José'), 'José');
  });

  it('escapes the five specials as backslash and two hex digits', () => {
    assert.equal(escapeFilterValue('*'), '\\2a');
    assert.equal(escapeFilterValue('('), '\\28');
    assert.equal(escapeFilterValue(')'), '\\29');
    assert.equal(escapeFilterValue('\\'), '\\5c');
    assert.equal(escapeFilterValue('\0'), '\\00');
  });

  it('escapes every occurrence, the backslash without doubling what it produces', () => {
    assert.equal(escapeFilterValue('a*b*c'), 'a\\2ab\\2ac');
    assert.equal(escapeFilterValue('\\2a'), '\\5c2a');
  });

  it('turns injection attempts into literal values', () => {
    assert.equal(escapeFilterValue('alice)(uid=*'), 'alice\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('*)(|(objectClass=*'), '\\2a\\29\\28|\\28objectClass=\\2a');
  });
});

describe('fillFilter', () => {
  it('fills placeholders with escaped values', () => {
    assert.equal(
      fillFilter('(&(objectClass=person)(uid={username}))', { username: 'a*' }),
      '(&(objectClass=person)(uid=a\\2a))',
    );
    assert.equal(fillFilter('(member={dn})', { dn: 'uid=x\\,y,dc=t' }), '(member=uid=x\\5c,y,dc=t)');
  });

  it('fills every occurrence and leaves unknown placeholders as written', () => {
    assert.equal(
      fillFilter('(|(uid={username})(mail={username}))', { username: 'bob' }),
      '(|(uid=bob)(mail=bob))',
    );
    assert.equal(fillFilter('(uid={user})', { username: 'bob' }), '(uid={user})');
  });
});

describe('firstRdnValue', () => {
  it('gives the first RDN value of a DN', () => {
    assert.equal(firstRdnValue('cn=tg-admins,ou=groups,dc=example,dc=test'), 'tg-admins');
    assert.equal(firstRdnValue('CN=Domain Users,CN=Users,DC=corp,DC=test'), 'Domain Users');
  });

  it('undoes RFC 4514 escapes', () => {
    assert.equal(firstRdnValue('cn=Sales\\, EMEA,ou=groups,dc=t'), 'Sales, EMEA');
    assert.equal(firstRdnValue('cn=Sales\\2C EMEA,ou=groups,dc=t'), 'Sales, EMEA');
    assert.equal(firstRdnValue('cn=caf\\C3\\A9,dc=t'), 'café');
  });

  it('stops at a multi-valued RDN and refuses what is not a DN', () => {
    assert.equal(firstRdnValue('cn=a+uid=b,dc=t'), 'a');
    assert.equal(firstRdnValue('no-equals-sign'), null);
    assert.equal(firstRdnValue('cn=,dc=t'), null);
  });
});

describe('andFilters', () => {
  it('joins filters under one AND, parenthesising a bare one', () => {
    assert.equal(
      andFilters('(uid=alice)', '(employeeType=disabled)'),
      '(&(uid=alice)(employeeType=disabled))',
    );
    assert.equal(
      andFilters('(&(objectClass=person)(uid=a))', 'employeeType=disabled'),
      '(&(&(objectClass=person)(uid=a))(employeeType=disabled))',
    );
  });
});
