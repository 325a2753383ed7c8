import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayDenial, GatewayOutcome } from '../domain/auth/decide.js';
import { gcra, type RateDecision } from '../domain/auth/rate-limit.js';
import { generateToken } from '../domain/token/format.js';
import type { StoredToken } from '../domain/token/token.js';
import type { User } from '../domain/user.js';
import {
  AUTHENTICATED_MESSAGE,
  createdDate,
  deniedMessage,
  denialForClient,
  foundTokenMessage,
  MALFORMED_MESSAGE,
  passedOnMessage,
  passwordFailedMessage,
  rateLimitedMessage,
} from './messages.js';
import { ownerFixture, tokenFixture } from '../../test/support/domain-fixtures.js';

type Denied = Extract<GatewayOutcome, { kind: 'denied' }>;
type Authenticated = Extract<GatewayOutcome, { kind: 'authenticated' }>;

const CREATED = Date.UTC(2020, 8, 22, 14, 43, 30);
const ENDPOINT = '/rest/x';
const IP = '203.0.113.7';
const SECRET = generateToken();

const ALL_DENIALS: GatewayDenial[] = [
  'unknown-token',
  'user-mismatch',
  'revoked',
  'expired',
  'user-disabled',
  'no-permission',
  'ip-denied',
  'read-only',
  'no-credentials',
  'malformed',
  'not-a-token',
  'password-ip-denied',
];

function token(overrides: Partial<StoredToken> = {}): StoredToken {
  return tokenFixture(CREATED, {
    description: 'deploy',
    scope: 'write',
    createdAt: CREATED,
    expiresAt: null,
    hash: 'ab'.repeat(32),
    ...overrides,
  });
}

const ALICE: User = ownerFixture(CREATED, { createdAt: CREATED, updatedAt: CREATED });

function authenticated(overrides: Partial<StoredToken> = {}): Authenticated {
  return { kind: 'authenticated', token: token(overrides), user: ALICE };
}

function denied(reason: GatewayDenial, username: string | null = 'alice'): Denied {
  const status = ['no-permission', 'ip-denied', 'read-only', 'password-ip-denied'].includes(reason)
    ? 403
    : 401;
  return { kind: 'denied', status, reason, username, token: null };
}

/** The decision after 5 requests of a 5-per-5-minutes policy: the sixth is denied. */
function limited(): RateDecision {
  const policy = { requests: 5, windowMs: 300_000 };
  let tat: number | undefined;
  for (let k = 0; k < 5; k++) tat = gcra(tat, 0, policy).tat;
  const d = gcra(tat, 0, policy).decision;
  assert.equal(d.allowed, false);
  return d;
}

describe('createdDate', () => {
  it('prints the seed\'s "Sep 22, 2020 2:43:30 PM" form in UTC, with a plain space before PM', () => {
    assert.equal(createdDate(CREATED), 'Sep 22, 2020, 2:43:30 PM UTC');
  });

  it('uses UTC, a 12-hour clock and two-digit minutes and seconds', () => {
    assert.equal(createdDate(Date.UTC(2021, 0, 5, 0, 4, 5)), 'Jan 5, 2021, 12:04:05 AM UTC');
    assert.equal(createdDate(Date.UTC(2021, 11, 31, 23, 59, 59)), 'Dec 31, 2021, 11:59:59 PM UTC');
  });
});

describe('foundTokenMessage', () => {
  it('states description, scope, user, created date and endpoint in the seed order', () => {
    assert.equal(
      foundTokenMessage(authenticated(), ENDPOINT),
      'Found a matching token "deploy" with Read & Write scope and authenticated user alice. Token was created on Sep 22, 2020, 2:43:30 PM UTC. REST endpoint: /rest/x',
    );
  });

  it('names a read token\'s scope "Read Only"', () => {
    assert.equal(
      foundTokenMessage(authenticated({ scope: 'read', description: 'ci' }), '/a'),
      'Found a matching token "ci" with Read Only scope and authenticated user alice. Token was created on Sep 22, 2020, 2:43:30 PM UTC. REST endpoint: /a',
    );
  });

  it('names the authenticated user from the outcome', () => {
    const o: Authenticated = { ...authenticated(), user: { ...ALICE, username: 'automation-user' } };
    assert.match(foundTokenMessage(o, ENDPOINT), /authenticated user automation-user\./);
  });

  it('keeps the second line of the seed', () => {
    assert.equal(AUTHENTICATED_MESSAGE, 'User successfully authenticated');
  });
});

describe('deniedMessage', () => {
  it('not-a-token: the seed\'s "no valid API token" line', () => {
    assert.equal(
      deniedMessage(denied('not-a-token', 'admin'), 'GET', ENDPOINT, IP, false),
      'Token verification for user admin failed: No valid API token was provided and basic auth with password is disabled. REST endpoint: /rest/x',
    );
  });

  it('unknown-token: with passwords enabled, no suffix', () => {
    assert.equal(
      deniedMessage(denied('unknown-token', 'admin'), 'GET', ENDPOINT, IP, true),
      'Token verification for user admin failed: No matching API token was found. REST endpoint: /rest/x',
    );
  });

  it('unknown-token: with passwords disabled, the "basic auth with password is disabled" suffix', () => {
    assert.equal(
      deniedMessage(denied('unknown-token', 'admin'), 'GET', ENDPOINT, IP, false),
      'Token verification for user admin failed: No matching API token was found and basic auth with password is disabled. REST endpoint: /rest/x',
    );
  });

  it('ip-denied: names the client IP, with and without the suffix', () => {
    assert.equal(
      deniedMessage(denied('ip-denied', 'admin'), 'GET', ENDPOINT, IP, false),
      'Token verification for user admin failed: IP address 203.0.113.7 of request is not allowed to access the REST API and basic auth with password is disabled. REST endpoint: /rest/x',
    );
    assert.equal(
      deniedMessage(denied('ip-denied', 'admin'), 'GET', ENDPOINT, IP, true),
      'Token verification for user admin failed: IP address 203.0.113.7 of request is not allowed to access the REST API. REST endpoint: /rest/x',
    );
  });

  it('password-ip-denied: the same IP line', () => {
    assert.equal(
      deniedMessage(denied('password-ip-denied', 'bob'), 'GET', ENDPOINT, IP, true),
      'Token verification for user bob failed: IP address 203.0.113.7 of request is not allowed to access the REST API. REST endpoint: /rest/x',
    );
  });

  it("read-only: the seed's line, naming the method", () => {
    assert.equal(
      deniedMessage(denied('read-only', 'automation-user'), 'PUT', '/rest/api/2/myself', IP, true),
      'Token verification for user automation-user failed: The token scope is read-only and only covers GET, HEAD and OPTIONS requests. Request method type was PUT. REST endpoint: /rest/api/2/myself',
    );
    assert.match(
      deniedMessage(denied('read-only'), 'DELETE', ENDPOINT, IP, false),
      /Request method type was DELETE\./,
    );
  });

  it('the other reasons, each with its own wording', () => {
    const expected: Array<[GatewayDenial, string]> = [
      ['user-mismatch', 'The API token belongs to another user'],
      ['revoked', 'The API token has been revoked'],
      ['expired', 'The API token has expired'],
      ['user-disabled', 'The user is disabled or deleted'],
      ['no-permission', 'The user lacks the permission to use API tokens'],
      ['no-credentials', 'No credentials were provided and authentication is required'],
      ['malformed', MALFORMED_MESSAGE],
    ];
    for (const [reason, text] of expected) {
      for (const passwordsOn of [true, false]) {
        assert.equal(
          deniedMessage(denied(reason), 'GET', ENDPOINT, IP, passwordsOn),
          `Token verification for user alice failed: ${text}. REST endpoint: /rest/x`,
          reason,
        );
      }
    }
  });

  it('names an unknown user "anonymous"', () => {
    assert.equal(
      deniedMessage(denied('malformed', null), 'GET', ENDPOINT, IP, true),
      `Token verification for user anonymous failed: ${MALFORMED_MESSAGE}. REST endpoint: /rest/x`,
    );
  });

  it('every reason gives a distinct message', () => {
    const messages = ALL_DENIALS.filter((r) => r !== 'password-ip-denied').map((r) =>
      deniedMessage(denied(r), 'POST', ENDPOINT, IP, true),
    );
    assert.equal(new Set(messages).size, messages.length);
  });
});

describe('passedOnMessage', () => {
  it('for a user with a password', () => {
    assert.equal(
      passedOnMessage('automation-user', ENDPOINT),
      'User automation-user presented a regular password, not an API token. Passing the request further to the default authenticator. REST endpoint: /rest/x',
    );
  });

  it('for a foreign Bearer credential or another scheme', () => {
    assert.equal(
      passedOnMessage(null, ENDPOINT),
      'A credential that is not an API token (a foreign Bearer value or another scheme) was presented. Passing the request further to the default authenticator. REST endpoint: /rest/x',
    );
  });
});

describe('rateLimitedMessage', () => {
  it("is the seed's line", () => {
    assert.equal(
      rateLimitedMessage('alice', limited()),
      'User alice has been rate limited. The API token allows executing 5 requests within 5 minutes.',
    );
  });

  it('states the window of the decision', () => {
    const d: RateDecision = { ...limited(), limit: 100, windowMs: 3_600_000 };
    assert.equal(
      rateLimitedMessage('bob', d),
      'User bob has been rate limited. The API token allows executing 100 requests within 1 hour.',
    );
  });
});

describe('denialForClient', () => {
  it('gives the reason without the endpoint', () => {
    assert.equal(
      denialForClient(denied('read-only'), 'POST', IP, true),
      'authentication failed: The token scope is read-only and only covers GET, HEAD and OPTIONS requests. Request method type was POST',
    );
    assert.equal(
      denialForClient(denied('unknown-token'), 'GET', IP, false),
      'authentication failed: No matching API token was found and basic auth with password is disabled',
    );
  });

  it('never contains the endpoint, nor the user name, for any reason', () => {
    const path = '/secret-endpoint/rest/x';
    for (const reason of ALL_DENIALS) {
      for (const passwordsOn of [true, false]) {
        const m = denialForClient(denied(reason, 'zed-user'), 'GET', IP, passwordsOn);
        assert.ok(!m.includes(path), reason);
        assert.ok(!m.includes('REST endpoint'), reason);
        assert.ok(!m.includes('zed-user'), reason);
        assert.ok(m.startsWith('authentication failed: '), reason);
      }
    }
  });
});

describe('no message contains the secret', () => {
  const odd = [
    'deploy',
    'quote " and backslash \\',
    '$& $1 ${x} %s %d {{x}}',
    'new\nline\r\nand\ttab',
    'ünïcödé ✓ 🚀',
    '<script>alert(1)</script>',
  ];

  it('for every outcome and odd descriptions', () => {
    for (const description of odd) {
      const t = token({ description });
      const all: string[] = [
        foundTokenMessage({ kind: 'authenticated', token: t, user: ALICE }, ENDPOINT),
        passedOnMessage('alice', ENDPOINT),
        passedOnMessage(null, ENDPOINT),
        rateLimitedMessage('alice', limited()),
        AUTHENTICATED_MESSAGE,
      ];
      for (const reason of ALL_DENIALS) {
        for (const passwordsOn of [true, false]) {
          const o: Denied = { ...denied(reason), token: t };
          all.push(deniedMessage(o, 'POST', ENDPOINT, IP, passwordsOn));
          all.push(denialForClient(o, 'POST', IP, passwordsOn));
        }
      }
      for (const m of all) {
        assert.ok(!m.includes(SECRET), m);
        assert.ok(!m.includes(t.hash), m);
        assert.ok(!m.includes(SECRET.slice(4, 20)), m);
      }
    }
  });

  it('the description appears verbatim between the quotes', () => {
    for (const description of odd) {
      const m = foundTokenMessage(authenticated({ description }), ENDPOINT);
      assert.ok(m.startsWith(`Found a matching token "${description}" with `), description);
    }
  });
});

describe('claimed user names in lines', () => {
  it('a name with spaces or quotes is quoted, so it cannot pass for words of the sentence', () => {
    assert.equal(
      passwordFailedMessage('admin failed', '/x'),
      'Authentication for user "admin failed" failed: the user name or password is wrong. REST endpoint: /x',
    );
    assert.match(passedOnMessage('a"b', '/x'), /^User "a\\"b" presented/);
    assert.match(passedOnMessage('alice', '/x', 'seed'), /^User alice tried to authenticate/);
  });
});
