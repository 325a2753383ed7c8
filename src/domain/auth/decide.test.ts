import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAuthorization } from './credentials.js';
import {
  classify,
  decideRequest,
  EMPTY_BASIC_USER,
  type GatewayDenial,
  type GatewayInput,
  type GatewayOutcome,
  type GatewayPolicy,
} from './decide.js';
import { compileIpMatcher } from './ip-rules.js';
import { compileReadRules } from './read-rules.js';
import { defaultSettings, type Settings } from '../settings.js';
import { decideToken } from './token-decision.js';
import { generateToken } from '../token/format.js';
import type { StoredToken } from '../token/token.js';
import type { User } from '../user.js';
import { ownerFixture, tokenFixture } from '../../../test/support/domain-fixtures.js';

/** The installation's token prefixes, as the settings snapshot compiles them. */
const TGP: ReadonlySet<string> = new Set(['tgp']);

const NOW = Date.UTC(2030, 5, 1);
const CLIENT = '192.0.2.10';
const SECRET = generateToken();

function token(overrides: Partial<StoredToken> = {}): StoredToken {
  return tokenFixture(NOW, { scope: 'write', ...overrides });
}

function owner(overrides: Partial<User> = {}): User {
  return ownerFixture(NOW, overrides);
}

/** Compiles a policy from settings the way the settings snapshot does. */
function policy(change: Partial<Settings> = {}): GatewayPolicy {
  const settings = { ...defaultSettings(), ...change };
  return {
    settings,
    allowedIps: compileIpMatcher(settings['auth.allowedIps']),
    readRules: compileReadRules(settings['auth.readRules']),
  };
}

function input(overrides: Partial<GatewayInput> = {}): GatewayInput {
  return {
    presented: { kind: 'token', secret: SECRET, basicUser: null },
    token: token(),
    tokenIps: null,
    owner: owner(),
    method: 'GET',
    path: '/rest/api/2/myself',
    clientIp: CLIENT,
    now: NOW,
    policy: policy(),
    ...overrides,
  };
}

function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

function denial(o: GatewayOutcome) {
  assert.equal(o.kind, 'denied', `expected a denial, got ${JSON.stringify(o)}`);
  return o.kind === 'denied' ? o : assert.fail('unreachable');
}

/** Decides a request that found no stored token (none, malformed, a password, a foreign Bearer). */
function decideNoToken(
  presented: GatewayInput['presented'],
  change: Partial<Settings> = {},
  overrides: Partial<GatewayInput> = {},
): GatewayOutcome {
  return decideRequest(input({ presented, token: null, owner: null, policy: policy(change), ...overrides }));
}

/** A token presented over Basic with the given user name. */
function basicToken(basicUser: string): GatewayInput['presented'] {
  return { kind: 'token', secret: SECRET, basicUser };
}

/** The denial decideRequest returns, written once. */
function denied(
  status: 401 | 403,
  reason: GatewayDenial,
  username: string | null,
  token: StoredToken | null = null,
): GatewayOutcome {
  return { kind: 'denied', status, reason, username, token };
}

describe('classify', () => {
  it('no credentials', () => {
    assert.deepEqual(classify({ kind: 'none' }, TGP), { kind: 'none' });
    assert.deepEqual(classify(parseAuthorization(undefined), TGP), { kind: 'none' });
  });

  it('malformed credentials keep their reason', () => {
    assert.deepEqual(classify({ kind: 'malformed', reason: 'Basic value is not base64' }, TGP), {
      kind: 'malformed',
      reason: 'Basic value is not base64',
    });
    const parsed = classify(parseAuthorization('Basic !!!'), TGP);
    assert.equal(parsed.kind, 'malformed');
  });

  it('a Bearer token is a token without a Basic user', () => {
    assert.deepEqual(classify({ kind: 'bearer', secret: SECRET }, TGP), {
      kind: 'token',
      secret: SECRET,
      basicUser: null,
    });
    assert.deepEqual(classify(parseAuthorization(`Bearer ${SECRET}`), TGP), {
      kind: 'token',
      secret: SECRET,
      basicUser: null,
    });
  });

  it('a Bearer value that is not a token is a foreign Bearer', () => {
    assert.deepEqual(classify({ kind: 'bearer', secret: 'eyJhbGciOiJIUzI1NiJ9.e30.sig' }, TGP), {
      kind: 'foreign-bearer',
    });
    // Right shape, wrong checksum: a near-token, refused as a malformed token (issue 14), never passed on.
    const last = SECRET.endsWith('A') ? 'B' : 'A';
    assert.equal(classify({ kind: 'bearer', secret: SECRET.slice(0, -1) + last }, TGP).kind, 'malformed');
  });

  it("takes only this installation's prefixes for tokens; a GitHub-style token is foreign", async () => {
    const { checksum } = await import('../token/format.js');
    const ghp = `ghp_${'A'.repeat(30)}${checksum('A'.repeat(30))}`;
    assert.deepEqual(classify({ kind: 'bearer', secret: ghp }, TGP), { kind: 'foreign-bearer' });
    assert.equal(classify({ kind: 'bearer', secret: ghp }, new Set(['tgp', 'ghp'])).kind, 'token');
  });

  it('a Basic secret that is a token is a token and keeps the Basic user', () => {
    assert.deepEqual(classify({ kind: 'basic', username: 'bob', secret: SECRET }, TGP), {
      kind: 'token',
      secret: SECRET,
      basicUser: 'bob',
    });
    assert.deepEqual(classify(parseAuthorization(basic('bob', SECRET)), TGP), {
      kind: 'token',
      secret: SECRET,
      basicUser: 'bob',
    });
  });

  it('a token pasted without "Bearer " is malformed, and its reason never holds it', () => {
    const p = classify(parseAuthorization(SECRET), TGP);
    assert.equal(p.kind, 'malformed');
    assert.ok(!JSON.stringify(p).includes(SECRET));
    // Other schemes stay foreign: Digest, Negotiate, a vendor's own.
    assert.deepEqual(classify(parseAuthorization('Digest username="bob"'), TGP), { kind: 'foreign-bearer' });
    assert.deepEqual(classify(parseAuthorization('ghp_abc'), TGP), { kind: 'foreign-bearer' });
  });

  it('a Basic secret that is not a token is a password, without the secret', () => {
    const p = classify({ kind: 'basic', username: 'bob', secret: 'hunter2-password' }, TGP);
    assert.deepEqual(p, { kind: 'password', username: 'bob' });
    assert.ok(!JSON.stringify(p).includes('hunter2'));
  });

  it('Basic with an empty user name and a token (`:<token>`) is a token with Basic user ""', () => {
    assert.deepEqual(classify(parseAuthorization(basic('', SECRET)), TGP), {
      kind: 'token',
      secret: SECRET,
      basicUser: '',
    });
  });

  it('Basic with an empty user name and anything but a token stays malformed, without the secret', () => {
    const p = classify(parseAuthorization(basic('', 'hunter2-password')), TGP);
    assert.deepEqual(p, { kind: 'malformed', reason: EMPTY_BASIC_USER });
    assert.deepEqual(classify(parseAuthorization(basic('', '')), TGP), {
      kind: 'malformed',
      reason: EMPTY_BASIC_USER,
    });
    // A near-token keeps the near-token reason, which says what is wrong with it.
    const last = SECRET.endsWith('A') ? 'B' : 'A';
    const near = classify(parseAuthorization(basic('', SECRET.slice(0, -1) + last)), TGP);
    assert.ok(near.kind === 'malformed' && /token prefix/.test(near.reason), JSON.stringify(near));
  });
});

describe('decideRequest: no or malformed credentials', () => {
  it('anonymous when no credentials and authentication is not required (the default)', () => {
    assert.deepEqual(decideNoToken({ kind: 'none' }), { kind: 'anonymous' });
  });

  it('no-credentials 401 when auth.requireAuthentication is on', () => {
    const o = decideNoToken({ kind: 'none' }, { 'auth.requireAuthentication': true });
    assert.deepEqual(o, denied(401, 'no-credentials', null));
  });

  it('malformed 401, whatever the settings', () => {
    const changes: Array<Partial<Settings>> = [
      {},
      { 'auth.basicPasswords': false },
      { 'auth.requireAuthentication': true },
    ];
    for (const change of changes) {
      const o = decideNoToken({ kind: 'malformed', reason: 'x' }, change);
      assert.deepEqual(o, denied(401, 'malformed', null));
    }
  });
});

describe('decideRequest: passwords and foreign Bearer values', () => {
  const password = { kind: 'password', username: 'bob' } as const;
  const foreign = { kind: 'foreign-bearer' } as const;

  // A password and a foreign Bearer take the same path; they differ only in the name they carry.
  for (const [what, presented, username] of [
    ['a password', password, 'bob'],
    ['a foreign Bearer', foreign, null],
  ] as const) {
    it(`${what} is passed on when auth.basicPasswords is on (the default)`, () => {
      assert.deepEqual(decideNoToken(presented), { kind: 'passed-on', username });
    });

    it(`${what} gets not-a-token 401 when auth.basicPasswords is off`, () => {
      const o = decideNoToken(presented, { 'auth.basicPasswords': false });
      assert.deepEqual(o, denied(401, 'not-a-token', username));
    });

    it(`${what} gets password-ip-denied 403 when auth.allowedIps excludes the client`, () => {
      const o = decideNoToken(presented, { 'auth.allowedIps': ['10.0.0.0/8'] });
      assert.deepEqual(o, denied(403, 'password-ip-denied', username));
    });
  }

  it('a password from an allowed IP is passed on', () => {
    const o = decideNoToken(password, { 'auth.allowedIps': ['10.0.0.0/8'] }, { clientIp: '10.1.2.3' });
    assert.deepEqual(o, { kind: 'passed-on', username: 'bob' });
  });

  it('with passwords off, not-a-token wins over the IP check', () => {
    const o = decideNoToken(password, { 'auth.basicPasswords': false, 'auth.allowedIps': ['10.0.0.0/8'] });
    assert.equal(denial(o).reason, 'not-a-token');
  });
});

describe('decideRequest: tokens', () => {
  it('authenticated: returns the token and its owner', () => {
    const i = input();
    const o = decideRequest(i);
    assert.deepEqual(o, { kind: 'authenticated', token: i.token, user: i.owner });
  });

  it('authenticated with Basic credentials naming the owner', () => {
    const o = decideRequest(input({ presented: basicToken('alice') }));
    assert.equal(o.kind, 'authenticated');
  });

  it('a token authenticates whatever auth.basicPasswords says', () => {
    const o = decideRequest(input({ policy: policy({ 'auth.basicPasswords': false }) }));
    assert.equal(o.kind, 'authenticated');
  });

  it('unknown-token 401 for a Bearer token: username null', () => {
    const o = decideRequest(input({ token: null, owner: null }));
    assert.deepEqual(o, denied(401, 'unknown-token', null));
  });

  it('unknown-token 401 for a Basic token: username is the Basic user', () => {
    const o = decideNoToken(basicToken('bob'));
    assert.deepEqual(o, denied(401, 'unknown-token', 'bob'));
  });

  it("user-mismatch 401 names the Basic user, not the token's owner", () => {
    const t = token();
    const o = decideRequest(input({ presented: basicToken('bob'), token: t }));
    assert.deepEqual(o, denied(401, 'user-mismatch', 'bob', t));
  });

  it('a Basic user name in another case, or a placeholder, authenticates the owner', () => {
    for (const basicUser of ['ALICE', 'x-token-auth', 'OAuth2', 'git', 'token', '']) {
      const i = input({ presented: basicToken(basicUser) });
      assert.deepEqual(decideRequest(i), { kind: 'authenticated', token: i.token, user: i.owner }, basicUser);
    }
  });

  it('a denial names the owner, never a placeholder; an unknown token with a placeholder names nobody', () => {
    const t = token({ revokedAt: NOW - 1, revokedBy: 'admin' });
    for (const basicUser of ['x-token-auth', '']) {
      const revoked = decideRequest(input({ presented: basicToken(basicUser), token: t }));
      assert.deepEqual(revoked, denied(401, 'revoked', 'alice', t));
      const unknown = decideNoToken(basicToken(basicUser));
      assert.deepEqual(denial(unknown).username, null);
    }
  });

  it('with no placeholders or case-sensitive names, the claimed name is refused and named', () => {
    const t = token();
    const none = policy({ 'auth.tokenUsernamePlaceholders': [] });
    const o = decideRequest(input({ presented: basicToken('x-token-auth'), token: t, policy: none }));
    assert.deepEqual(o, denied(401, 'user-mismatch', 'x-token-auth', t));
    const empty = decideRequest(input({ presented: basicToken(''), token: t, policy: none }));
    assert.equal(denial(empty).reason, 'user-mismatch');
    const exact = policy({ 'auth.caseSensitiveUsernames': true });
    const upper = decideRequest(input({ presented: basicToken('ALICE'), token: t, policy: exact }));
    assert.deepEqual(upper, denied(401, 'user-mismatch', 'ALICE', t));
  });

  it("a denial of a Bearer token names the token's owner", () => {
    const t = token({ revokedAt: NOW - 1, revokedBy: 'admin' });
    const o = decideRequest(input({ token: t }));
    assert.deepEqual(o, denied(401, 'revoked', 'alice', t));
  });

  it('read-only 403 for a POST with a read token', () => {
    const t = token({ scope: 'read' });
    const o = decideRequest(input({ token: t, method: 'POST', path: '/rest/api/2/issue' }));
    assert.deepEqual(o, denied(403, 'read-only', 'alice', t));
  });

  it('read-only names the Basic user when there is one', () => {
    const o = decideRequest(
      input({
        presented: basicToken('alice'),
        token: token({ scope: 'read' }),
        method: 'PUT',
      }),
    );
    const d = denial(o);
    assert.equal(d.reason, 'read-only');
    assert.equal(d.username, 'alice');
  });

  it('a read token may GET, and POST …/git-upload-pack through the default git preset', () => {
    const t = token({ scope: 'read' });
    assert.equal(decideRequest(input({ token: t, method: 'GET' })).kind, 'authenticated');
    assert.equal(
      decideRequest(
        input({
          token: t,
          method: 'POST',
          path: '/x.git/git-upload-pack',
          contentType: 'application/x-git-upload-pack-request',
        }),
      ).kind,
      'authenticated',
    );
    assert.equal(
      denial(decideRequest(input({ token: t, method: 'POST', path: '/x.git/git-receive-pack' }))).reason,
      'read-only',
    );
  });

  it('without the git preset, POST …/git-upload-pack is read-only 403', () => {
    const o = decideRequest(
      input({
        token: token({ scope: 'read' }),
        method: 'POST',
        path: '/x.git/git-upload-pack',
        policy: policy({ 'auth.readRules': [] }),
      }),
    );
    assert.equal(denial(o).reason, 'read-only');
  });

  it('a custom read rule lets a read token POST there', () => {
    const o = decideRequest(
      input({
        token: token({ scope: 'read' }),
        method: 'POST',
        path: '/api/search',
        policy: policy({ 'auth.readRules': ['POST /api/search'] }),
      }),
    );
    assert.equal(o.kind, 'authenticated');
  });

  it("ip-denied 403 when the global list excludes the client, even without the token's own list", () => {
    const t = token();
    const o = decideRequest(input({ token: t, policy: policy({ 'auth.allowedIps': ['10.0.0.0/8'] }) }));
    assert.deepEqual(o, denied(403, 'ip-denied', 'alice', t));
  });

  it("ip-denied 403 when the token's own list excludes the client", () => {
    const o = decideRequest(input({ tokenIps: compileIpMatcher(['10.0.0.0/8']) }));
    assert.equal(denial(o).reason, 'ip-denied');
    assert.equal(
      decideRequest(input({ tokenIps: compileIpMatcher(['10.0.0.0/8']), clientIp: '10.9.9.9' })).kind,
      'authenticated',
    );
  });

  it('every other token denial is the one decideToken gives, with the same status and token', () => {
    const settings = defaultSettings();
    settings['permissions.useTokens'] = ['ops'];
    const cases: Array<Partial<GatewayInput>> = [
      { token: token({ expiresAt: NOW }) },
      { owner: owner({ disabled: true }) },
      { owner: null },
      { policy: { ...policy(), settings } },
    ];
    for (const c of cases) {
      const i = input(c);
      const expected = decideToken({
        token: i.token,
        tokenIps: i.tokenIps ?? i.policy.allowedIps,
        owner: i.owner,
        basicUser: null,
        readRequest: i.policy.readRules.isRead(i.method, i.path),
        clientIp: i.clientIp,
        now: i.now,
        settings: i.policy.settings,
        globalIps: i.policy.allowedIps,
      });
      assert.ok(!expected.ok);
      const d = denial(decideRequest(i));
      assert.deepEqual(
        { status: d.status, reason: d.reason, token: d.token, username: d.username },
        { status: expected.status, reason: expected.reason, token: expected.token, username: 'alice' },
      );
    }
  });

  it('the outcome never carries the secret', () => {
    for (const o of [
      decideRequest(input()),
      decideRequest(input({ token: null })),
      decideRequest(input({ token: token({ scope: 'read' }), method: 'POST' })),
    ]) {
      assert.ok(!JSON.stringify(o).includes(SECRET), o.kind);
    }
  });
});
