import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_AUTHORIZATION_LENGTH, parseAuthorization } from './credentials.js';

const basic = (userPass: string): string => `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;

function malformed(header: string): string {
  const c = parseAuthorization(header);
  assert.equal(c.kind, 'malformed', `${header.slice(0, 40)} → ${JSON.stringify(c)}`);
  return c.kind === 'malformed' ? c.reason : '';
}

describe('parseAuthorization', () => {
  it('returns none for a missing or empty header', () => {
    assert.deepEqual(parseAuthorization(undefined), { kind: 'none' });
    assert.deepEqual(parseAuthorization(''), { kind: 'none' });
  });

  it('parses Bearer', () => {
    assert.deepEqual(parseAuthorization('Bearer tgp_abc123'), { kind: 'bearer', secret: 'tgp_abc123' });
  });

  it('treats the scheme case-insensitively', () => {
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      assert.deepEqual(parseAuthorization(`${scheme} s3cret`), { kind: 'bearer', secret: 's3cret' });
    }
    assert.deepEqual(parseAuthorization(`basic ${Buffer.from('u:p').toString('base64')}`), {
      kind: 'basic',
      username: 'u',
      secret: 'p',
    });
  });

  it('trims spaces around the Bearer value', () => {
    assert.deepEqual(parseAuthorization('Bearer   tok  '), { kind: 'bearer', secret: 'tok' });
  });

  it('refuses an empty Bearer value or one with spaces', () => {
    assert.match(malformed('Bearer '), /empty/);
    assert.match(malformed('Bearer    '), /empty/);
    malformed('Bearer two words');
    malformed('Bearer tab\there');
  });

  it('parses Basic user:password', () => {
    assert.deepEqual(parseAuthorization(basic('alice:hunter2')), {
      kind: 'basic',
      username: 'alice',
      secret: 'hunter2',
    });
  });

  it('keeps colons in the password', () => {
    assert.deepEqual(parseAuthorization(basic('alice:a:b::c')), {
      kind: 'basic',
      username: 'alice',
      secret: 'a:b::c',
    });
  });

  it('accepts an empty password and unicode', () => {
    assert.deepEqual(parseAuthorization(basic('alice:')), { kind: 'basic', username: 'alice', secret: '' });
    assert.deepEqual(parseAuthorization(basic('jürgen:pässwörd🔑')), {
      kind: 'basic',
      username: 'jürgen',
      secret: 'pässwörd🔑',
    });
  });

  it('refuses Basic without a colon', () => {
    assert.match(malformed(basic('alice')), /colon/);
  });

  it('refuses Basic values that are not base64', () => {
    for (const v of [
      'Basic !!!!',
      'Basic abc$',
      'Basic YWxpY2U6cA===',
      'Basic Y',
      'Basic YWxp Y2U6cA==',
      'Basic ',
    ]) {
      assert.match(malformed(v), /base64/, v);
    }
  });

  it('refuses an empty user name', () => {
    assert.match(malformed(basic(':password')), /user name/);
  });

  it('refuses control characters and invalid UTF-8 in the user name', () => {
    assert.match(malformed(basic('ali\u0000ce:pw')), /user name/);
    assert.match(malformed(basic('ali\nce:pw')), /user name/);
    assert.match(malformed(basic('ali\u007fce:pw')), /user name/);
    const invalidUtf8 = Buffer.concat([Buffer.from('al'), Buffer.from([0xff]), Buffer.from(':pw')]);
    assert.match(malformed(`Basic ${invalidUtf8.toString('base64')}`), /user name/);
  });

  it(`parses a header of exactly ${MAX_AUTHORIZATION_LENGTH} characters and refuses a longer one`, () => {
    assert.equal(MAX_AUTHORIZATION_LENGTH, 8192);
    const exact = `Bearer ${'a'.repeat(8192 - 7)}`;
    assert.equal(exact.length, 8192);
    assert.equal(parseAuthorization(exact).kind, 'bearer');
    assert.match(malformed(`${exact}a`), /too long/);
    // Only Bearer and Basic are limited: a large Kerberos ticket in Negotiate is the upstream's business.
    assert.equal(parseAuthorization(`Negotiate ${'a'.repeat(9000)}`).kind, 'none');
  });

  it('returns none for other schemes, so the upstream can handle them', () => {
    for (const h of [
      'Digest username="alice", realm="x", nonce="y"',
      'Negotiate YIIB',
      'Token abc',
      'Bearer',
      'Basic',
      'BearerX abc',
      'Basicx YTpi',
    ]) {
      assert.deepEqual(parseAuthorization(h), { kind: 'none' }, h);
    }
  });
});
