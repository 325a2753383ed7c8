import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../../../domain/auth/permissions.js';
import { isWellFormedToken } from '../../../domain/token/format.js';
import { hashToken } from '../../../domain/token/hash.js';
import { systemContext } from '../../../services/context.js';
import { ADMIN_PASSWORD, basic, bearer, call, useHarness } from '../../../../test/support/harness.js';

const DAY = 86_400_000;

describe('token API', () => {
  let alice: string;
  const admin = basic('admin', ADMIN_PASSWORD);
  // Tokens cannot create tokens: alice signs in with her password for that.
  const aliceAuth = basic('alice', 'alice-password-1');

  const h = useHarness(async (started) => {
    await started.addUser('alice', ['dev'], 'alice-password-1');
    alice = (await started.tokenFor('alice', 'write')).token;
  });

  const counts = async () => ({
    tokens: (await h.ctx.store.tokens.search({}, Date.now(), 100_000)).length,
    audit: (await h.ctx.store.audit.list({ limit: 100_000 })).length,
  });

  it('creates a token, returns the secret once, and never shows it or its hash again', async () => {
    const r = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: aliceAuth,
      body: {
        description: 'deploy bot',
        scope: 'write',
        validityDays: 30,
        allowedIps: ['10.1.2.3', '2001:db8::/48'],
        rateLimit: { requests: 100, windowSeconds: 60 },
      },
    });
    assert.equal(r.statusCode, 201);
    const { token, record } = r.data as { token: string; record: Record<string, unknown> };
    assert.ok(isWellFormedToken(token, 'tgp'));
    assert.equal(record.user, 'alice');
    assert.equal(record.createdBy, 'alice');
    assert.equal(record.scope, 'write');
    assert.equal(record.status, 'active');
    assert.deepEqual(record.allowedIps, ['10.1.2.3/32', '2001:db8::/48']);
    assert.deepEqual(record.rateLimit, { requests: 100, windowSeconds: 60 });
    const expires = Date.parse(String(record.expiresAt));
    assert.ok(Math.abs(expires - (Date.parse(String(record.createdAt)) + 30 * DAY)) < 1000);
    assert.ok(!('hash' in record));

    const hash = hashToken(token);
    for (const [url, auth] of [
      ['/tokens', bearer(alice)],
      [`/tokens/${String(record.id)}`, bearer(alice)],
      ['/admin/tokens', admin],
      [`/admin/tokens/${String(record.id)}`, admin],
    ] as const) {
      const body = (await call(h.api, { method: 'GET', url, auth })).body;
      assert.ok(body.includes(String(record.id)), url);
      assert.ok(!body.includes(token) && !body.includes(hash), `${url} leaks the secret or its hash`);
    }
    const audit = JSON.stringify(await h.ctx.store.audit.list({ limit: 1000 }));
    assert.ok(!audit.includes(token) && !audit.includes(hash), 'audit leaks the secret or its hash');
    // The new token works at once.
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', auth: bearer(token), remoteAddress: '10.1.2.3' }))
        .statusCode,
      200,
    );
    assert.equal(
      (await call(h.api, { method: 'GET', url: '/me', auth: bearer(token), remoteAddress: '10.1.2.4' }))
        .statusCode,
      403,
    );
  });

  it('applies the default validity and the default read scope', async () => {
    const r = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: aliceAuth,
      body: { description: 'defaults' },
    });
    assert.equal(r.statusCode, 201);
    const rec = (r.data as { record: { scope: string; expiresAt: string; createdAt: string } }).record;
    assert.equal(rec.scope, 'read');
    assert.ok(Math.abs(Date.parse(rec.expiresAt) - Date.parse(rec.createdAt) - 90 * DAY) < 1000);
  });

  const BAD: Array<[string, unknown, RegExp, string]> = [
    ['malformed JSON', '{"description": "x",', /not valid JSON/, 'invalid_request'],
    [
      'an unknown field',
      { description: 'x', owner: 'bob' },
      /owner: is not a known field/,
      'invalid_request',
    ],
    ['a missing description', { scope: 'read' }, /^description/, 'invalid_request'],
    ['an over-long description', { description: 'x'.repeat(256) }, /^description/, 'invalid_request'],
    ['a blank description', { description: '   ' }, /description/, 'invalid_request'],
    [
      'a bad scope',
      { description: 'x', scope: 'admin' },
      /scope: must be one of "read", "write"/,
      'invalid_request',
    ],
    [
      'a string where a number belongs',
      { description: 'x', validityDays: '5' },
      /^validityDays/,
      'invalid_request',
    ],
    ['an invalid CIDR', { description: 'x', allowedIps: ['10.0.0.0/33'] }, /allowedIps/, 'invalid_request'],
    [
      'a CIDR with host bits',
      { description: 'x', allowedIps: ['10.1.2.3/8'] },
      /did you mean 10\.0\.0\.0\/8/,
      'invalid_request',
    ],
    [
      'an expiry in the past',
      { description: 'x', expiresAt: '2020-01-01T00:00:00Z' },
      /expiresAt.*future/,
      'invalid_request',
    ],
    ['an unparseable expiry', { description: 'x', expiresAt: 'next week' }, /expiresAt/, 'invalid_request'],
    [
      'an expiry beyond the policy',
      { description: 'x', expiresAt: '2099-01-01T00:00:00Z' },
      /tokens\.maxValidityDays.*latest allowed expiry is \d{4}-/,
      'policy_violation',
    ],
    [
      'validityDays beyond the policy',
      { description: 'x', validityDays: 400 },
      /tokens\.maxValidityDays/,
      'policy_violation',
    ],
    [
      'a token that never expires while a maximum is set',
      { description: 'x', expiresAt: null },
      /must expire/,
      'policy_violation',
    ],
    [
      'expiresAt and validityDays together',
      { description: 'x', expiresAt: '2030-01-01', validityDays: 3 },
      /either/,
      'invalid_request',
    ],
    [
      'a bad rate limit',
      { description: 'x', rateLimit: { requests: 0, windowSeconds: 60 } },
      /rateLimit\.requests/,
      'invalid_request',
    ],
  ];

  for (const [what, body, message, code] of BAD) {
    it(`refuses ${what} with 400 naming the problem, and writes nothing`, async () => {
      const before = await counts();
      const r = await call(h.api, { method: 'POST', url: '/tokens', auth: aliceAuth, body });
      assert.equal(r.statusCode, 400, r.body);
      const err = (r.data as { error: { code: string; message: string } }).error;
      assert.equal(err.code, code);
      assert.match(err.message, message);
      assert.deepEqual(await counts(), before);
    });
  }

  it('refuses a body that is not JSON, and an oversized body, without a 500', async () => {
    const form = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: aliceAuth,
      body: 'description=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.statusCode, 415);
    assert.equal((form.data as { error: { code: string } }).error.code, 'unsupported_media_type');
    const text = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: aliceAuth,
      body: 'description=x',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.statusCode, 415);
    const huge = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: aliceAuth,
      body: JSON.stringify({ description: 'x'.repeat(70_000) }),
    });
    assert.equal(huge.statusCode, 413);
    assert.equal((huge.data as { error: { code: string } }).error.code, 'payload_too_large');
  });

  it('refuses bad query parameters and cursors with 400', async () => {
    for (const q of [
      'limit=0',
      'limit=abc',
      'scope=root',
      'createdFrom=yesterday',
      'cursor=bm9wZQ',
      'bogus=1',
    ]) {
      const r = await call(h.api, { method: 'GET', url: `/admin/tokens?${q}`, auth: admin });
      assert.equal(r.statusCode, 400, q);
    }
  });

  it('enforces tokens.maxPerUser, counting only active tokens', async () => {
    await h.addUser('max', [], 'max-password-1');
    const root = CLI_PRINCIPAL;
    const cli = systemContext('@cli');
    await h.ctx.settings.update(root, cli, { 'tokens.maxPerUser': 2 });
    try {
      const a = await h.tokenFor('max', 'write');
      await h.tokenFor('max', 'read');
      const r = await call(h.api, {
        method: 'POST',
        url: '/tokens',
        auth: basic('max', 'max-password-1'),
        body: { description: 'third' },
      });
      assert.equal(r.statusCode, 400);
      assert.match((r.data as { error: { message: string } }).error.message, /tokens\.maxPerUser/);
      assert.equal(
        (await call(h.api, { method: 'DELETE', url: `/admin/tokens/${a.id}`, auth: admin })).statusCode,
        204,
      );
      const viaAdmin = await call(h.api, {
        method: 'POST',
        url: '/admin/users/max/tokens',
        auth: admin,
        body: { description: 'third' },
      });
      assert.equal(viaAdmin.statusCode, 201);
    } finally {
      await h.ctx.settings.update(root, cli, { 'tokens.maxPerUser': 10 });
    }
  });

  it('keeps self-created tokens read-only under tokens.forceReadOnly, but lets a manager choose', async () => {
    const cli = systemContext('@cli');
    await h.ctx.settings.update(CLI_PRINCIPAL, cli, { 'tokens.forceReadOnly': true });
    try {
      const own = await call(h.api, {
        method: 'POST',
        url: '/tokens',
        auth: aliceAuth,
        body: { description: 'w', scope: 'write' },
      });
      assert.equal(own.statusCode, 400);
      assert.match((own.data as { error: { message: string } }).error.message, /forceReadOnly/);
      assert.equal(
        (
          await call(h.api, {
            method: 'POST',
            url: '/tokens',
            auth: aliceAuth,
            body: { description: 'r' },
          })
        ).statusCode,
        201,
      );
      const forAlice = await call(h.api, {
        method: 'POST',
        url: '/admin/users/alice/tokens',
        auth: admin,
        body: { description: 'w', scope: 'write' },
      });
      assert.equal(forAlice.statusCode, 201);
    } finally {
      await h.ctx.settings.update(CLI_PRINCIPAL, cli, { 'tokens.forceReadOnly': false });
    }
  });

  it('allows tokens that never expire only when there is no maximum', async () => {
    const cli = systemContext('@cli');
    await h.ctx.settings.update(CLI_PRINCIPAL, cli, {
      'tokens.maxValidityDays': null,
      'tokens.defaultValidityDays': null,
    });
    try {
      const r = await call(h.api, {
        method: 'POST',
        url: '/tokens',
        auth: aliceAuth,
        body: { description: 'forever' },
      });
      assert.equal(r.statusCode, 201);
      assert.equal((r.data as { record: { expiresAt: null } }).record.expiresAt, null);
    } finally {
      await h.ctx.settings.update(CLI_PRINCIPAL, cli, {
        'tokens.maxValidityDays': 365,
        'tokens.defaultValidityDays': 90,
      });
    }
  });

  it('renames and revokes a token, keeping it listed as revoked; a revoked token stops at once', async () => {
    const t = await h.tokenFor('alice', 'write');
    const renamed = await call(h.api, {
      method: 'PATCH',
      url: `/tokens/${t.id}`,
      auth: aliceAuth,
      body: { description: 'renamed' },
    });
    assert.equal(renamed.statusCode, 200);
    assert.equal((renamed.data as { description: string }).description, 'renamed');
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(t.token) })).statusCode, 200);
    assert.equal(
      (await call(h.api, { method: 'DELETE', url: `/tokens/${t.id}`, auth: aliceAuth })).statusCode,
      204,
    );
    assert.equal((await call(h.api, { method: 'GET', url: '/me', auth: bearer(t.token) })).statusCode, 401);
    const shown = await call(h.api, { method: 'GET', url: `/tokens/${t.id}`, auth: aliceAuth });
    assert.equal((shown.data as { status: string; revokedBy: string }).status, 'revoked');
    assert.equal((shown.data as { revokedBy: string }).revokedBy, 'alice');
    // Revoking again is harmless and writes no second audit record.
    assert.equal(
      (await call(h.api, { method: 'DELETE', url: `/tokens/${t.id}`, auth: aliceAuth })).statusCode,
      204,
    );
    const records = await h.ctx.store.audit.list({ limit: 100, tokenId: t.id });
    assert.deepEqual(
      records.map((r) => r.action),
      ['token.revoked', 'token.updated', 'token.created'],
    );
  });

  it('audits creation and revocation with the token id, the real author and the source IP', async () => {
    const created = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: aliceAuth,
      body: { description: 'audited', scope: 'read' },
      remoteAddress: '198.51.100.4',
    });
    const id = (created.data as { record: { id: string } }).record.id;
    await call(h.api, {
      method: 'DELETE',
      url: `/admin/tokens/${id}`,
      auth: admin,
      remoteAddress: '198.51.100.5',
    });
    const [revoked, made] = await h.ctx.store.audit.list({ limit: 10, tokenId: id });
    assert.equal(made?.action, 'token.created');
    assert.equal(made?.author, 'alice');
    assert.equal(made?.affectedUser, 'alice');
    assert.equal(made?.tokenDescription, 'audited');
    assert.equal(made?.sourceIp, '198.51.100.4');
    assert.equal(made?.proxyIp, null);
    assert.equal(made?.nodeId, 'test-node');
    assert.equal(made?.details?.scope, 'read');
    assert.equal(revoked?.action, 'token.revoked');
    assert.equal(revoked?.author, 'admin');
    assert.equal(revoked?.affectedUser, 'alice');
    assert.equal(revoked?.sourceIp, '198.51.100.5');
    assert.equal(revoked?.method, 'DELETE');
  });
});
