import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli/main.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Token rotation (issue 9, docs/tokens.md "Rotation"): a new secret for the same record, the old
 * one working for a grace period, reuse after it audited (and, with tokens.revokeOnReuse, the
 * token revoked), self-rotation by a write token, and the rules on who may rotate what.
 */

const API = '/_tokengate/api/v1';
const ADMIN = basicAuth('admin', 'admin-password-1');
const ALICE_PASSWORD = 'alice-password-1';
const ALICE = basicAuth('alice', ALICE_PASSWORD);

interface Rotated {
  token: string;
  record: {
    id: string;
    description: string;
    scope: string;
    allowedIps: string[] | null;
    rateLimit: unknown;
    expiresAt: string | null;
    rotatedAt: string | null;
    expiresSoon: boolean;
  };
}

interface AuditItem {
  action: string;
  author: string;
  tokenId: string | null;
  summary: string;
  sourceIp: string | null;
  details: Record<string, unknown> | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('token rotation', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;

  const gateway = async (secret: string): Promise<number> =>
    (await fetch(`${t.url}/data`, { headers: { authorization: `Bearer ${secret}` } })).status;

  const rotate = async (
    path: string,
    authorization: string,
    body?: unknown,
  ): Promise<{ status: number; json: Rotated & { error?: { code: string; message: string } } }> => {
    const res = await fetch(`${t.adminUrl}${API}${path}`, {
      method: 'POST',
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      json: (await res.json()) as Rotated & { error?: { code: string; message: string } },
    };
  };

  const audit = async (action: string, tokenId: string): Promise<AuditItem[]> => {
    await t.node.runtime.auditQueue.flush();
    const res = await fetch(`${t.adminUrl}${API}/admin/audit?action=${action}&tokenId=${tokenId}`, {
      headers: { authorization: ADMIN },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: AuditItem[] }).items;
  };

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice', password: ALICE_PASSWORD });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'bob', password: 'bob-password-12' });
  });

  after(async () => {
    await t.close();
    await up.close();
  });

  it('gives the same record a new secret: the old one stops at once by default, and its use is audited as reuse', async () => {
    const old = await t.tokenFor('alice', {
      description: 'deploy bot',
      scope: 'write',
      allowedIps: ['127.0.0.0/8'],
      rateLimit: { requests: 1000, windowSeconds: 60 },
      validityDays: 30,
    });
    assert.equal(await gateway(old.token), 200, 'the old secret works (and is now cached)');
    const before = (await (
      await fetch(`${t.adminUrl}${API}/tokens/${old.id}`, { headers: { authorization: ALICE } })
    ).json()) as Rotated['record'];
    const r = await rotate(`/tokens/${old.id}/rotate`, ALICE);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.notEqual(r.json.token, old.token);
    assert.match(r.json.token, /^tgp_[0-9A-Za-z]{36}$/);
    const rec = r.json.record;
    assert.equal(rec.id, old.id, 'the same record');
    assert.deepEqual(
      [rec.description, rec.scope, rec.allowedIps, rec.rateLimit, rec.expiresAt],
      [before.description, before.scope, before.allowedIps, before.rateLimit, before.expiresAt],
      'description, scope, IPs, limit and expiry are kept',
    );
    assert.ok(rec.rotatedAt !== null);
    assert.equal(await gateway(r.json.token), 200, 'the new secret works');
    assert.equal(await gateway(old.token), 401, 'the old secret stopped (grace 0), though it was cached');
    const rotated = await audit('token.rotated', old.id);
    assert.equal(rotated.length, 1);
    assert.equal(rotated[0]?.author, 'alice', 'the real user');
    assert.equal(rotated[0]?.details?.graceSeconds, 0);
    const reused = await audit('token.reused', old.id);
    assert.equal(reused.length, 1, 'the reuse attempt is audited, always on');
    assert.equal(reused[0]?.sourceIp, '127.0.0.1');
    assert.ok(
      t.lines.some((l) => l.includes('A rotated secret of token "deploy bot"') && l.includes('WARN')),
    );
    assert.ok(
      !t.lines.some((l) => l.includes(old.token) || l.includes(r.json.token)),
      'no secret in the log',
    );
  });

  it('keeps the old secret working for the grace period, then refuses it', async () => {
    const old = await t.tokenFor('alice', { description: 'rolling deploy' });
    const r = await rotate(`/tokens/${old.id}/rotate`, ALICE, { graceSeconds: 2 });
    assert.equal(r.status, 200);
    assert.equal(await gateway(old.token), 200, 'within the grace period');
    assert.equal(await gateway(r.json.token), 200);
    // The management API takes the old secret too, within the grace period.
    const me = await fetch(`${t.adminUrl}${API}/me`, { headers: { authorization: `Bearer ${old.token}` } });
    assert.equal(me.status, 200);
    await sleep(2_100);
    assert.equal(await gateway(old.token), 401, 'after the grace period');
    const api = await fetch(`${t.adminUrl}${API}/me`, { headers: { authorization: `Bearer ${old.token}` } });
    assert.equal(api.status, 401, 'the management API refuses it too');
    assert.equal((await audit('token.reused', old.id)).length, 2, 'both reuses audited');
    assert.equal(await gateway(r.json.token), 200, 'the token itself is not revoked by default');
  });

  it('a later rotation ends the grace period of earlier ones no later than its own', async () => {
    const first = await t.tokenFor('alice', { description: 'rotated twice' });
    const second = await rotate(`/tokens/${first.id}/rotate`, ALICE, { graceSeconds: 3600 });
    assert.equal(await gateway(first.token), 200, 'the first secret within its hour of grace');
    const third = await rotate(`/tokens/${first.id}/rotate`, ALICE, { graceSeconds: 0 });
    assert.equal(third.status, 200);
    assert.equal(await gateway(third.json.token), 200);
    assert.equal(await gateway(second.json.token), 401, 'the second secret stops at once');
    assert.equal(await gateway(first.token), 401, 'and so does the first, despite its hour');
  });

  it('with tokens.revokeOnReuse, reuse revokes the token (its new secret too), audited with the reason', async () => {
    await t.settings({ 'tokens.revokeOnReuse': true });
    try {
      const old = await t.tokenFor('alice', { description: 'leaky job' });
      const r = await rotate(`/tokens/${old.id}/rotate`, ALICE);
      assert.equal(await gateway(r.json.token), 200);
      assert.equal(await gateway(old.token), 401);
      let revoked: AuditItem[] = [];
      for (let i = 0; i < 50 && revoked.length === 0; i++) {
        revoked = await audit('token.revoked', old.id);
        if (revoked.length === 0) await sleep(50);
      }
      assert.equal(revoked.length, 1);
      assert.equal(revoked[0]?.details?.reason, 'reused');
      assert.equal(revoked[0]?.author, '@reuse-detection');
      assert.equal(await gateway(r.json.token), 401, 'the new secret is revoked with the token');
    } finally {
      await t.settings({ 'tokens.revokeOnReuse': false });
    }
  });

  it('a token with write scope may rotate itself; a read token may not, nor may a token rotate another', async () => {
    const self = await t.tokenFor('alice', { description: 'self-rotating', scope: 'write' });
    const r = await rotate(`/tokens/${self.id}/rotate`, `Bearer ${self.token}`, { graceSeconds: 60 });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(await gateway(r.json.token), 200);
    const read = await t.tokenFor('alice', { description: 'read only', scope: 'read' });
    const denied = await rotate(`/tokens/${read.id}/rotate`, `Bearer ${read.token}`);
    assert.equal(denied.status, 403);
    assert.match(denied.json.error?.message ?? '', /read-only/);
    const other = await rotate(`/tokens/${read.id}/rotate`, `Bearer ${r.json.token}`);
    assert.equal(other.status, 403);
    assert.match(other.json.error?.message ?? '', /only itself/);
  });

  it('refuses what cannot be rotated with the right status, naming the field', async () => {
    const tok = await t.tokenFor('alice', { description: 'to revoke' });
    const bad = await rotate(`/tokens/${tok.id}/rotate`, ALICE, { graceSeconds: -1 });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error?.message ?? '', /graceSeconds/);
    const tooLong = await rotate(`/tokens/${tok.id}/rotate`, ALICE, { graceSeconds: 2_592_001 });
    assert.equal(tooLong.status, 400);
    const unknown = await rotate(`/tokens/${tok.id}/rotate`, ALICE, { grace: 5 });
    assert.equal(unknown.status, 400);
    assert.equal((await rotate(`/tokens/tok_nope/rotate`, ALICE)).status, 404);
    const bobs = await t.tokenFor('bob', { description: "bob's" });
    assert.equal((await rotate(`/tokens/${bobs.id}/rotate`, ALICE)).status, 404, "another user's token");
    await t.node.ctx.tokens.revoke(CLI_PRINCIPAL, cli, tok.id, true);
    const revoked = await rotate(`/tokens/${tok.id}/rotate`, ALICE);
    assert.equal(revoked.status, 409);
    assert.equal(await gateway(tok.token), 401);
  });

  it('a token manager rotates any token, but only the admin group an admin token', async () => {
    const bobs = await t.tokenFor('bob', { description: 'bob ci' });
    const r = await rotate(`/admin/tokens/${bobs.id}/rotate`, ADMIN, { graceSeconds: 0 });
    assert.equal(r.status, 200);
    assert.equal(await gateway(r.json.token), 200);
    const rotated = await audit('token.rotated', bobs.id);
    assert.equal(rotated[0]?.author, 'admin');
    assert.match(rotated[0]?.summary ?? '', /rotated by admin/);
    await t.settings({ 'permissions.manageAllTokens': ['token-managers'] });
    try {
      await t.node.ctx.users.update(CLI_PRINCIPAL, cli, 'bob', { groups: ['token-managers'] });
      const adminToken = await t.tokenFor('admin', { description: 'admin automation' });
      const BOB = basicAuth('bob', 'bob-password-12');
      const refused = await rotate(`/admin/tokens/${adminToken.id}/rotate`, BOB);
      assert.equal(refused.status, 403);
      assert.equal(await gateway(adminToken.token), 200, 'the admin token is unchanged');
      const alices = await t.tokenFor('alice', { description: 'managed' });
      assert.equal((await rotate(`/admin/tokens/${alices.id}/rotate`, BOB)).status, 200);
    } finally {
      await t.settings({ 'permissions.manageAllTokens': ['admin'] });
    }
  });

  it('tells which tokens expire soon (tokens.expiryWarningDays), in the API and `token list`', async () => {
    const soon = await t.tokenFor('alice', { description: 'expiring', validityDays: 2 });
    const later = await t.tokenFor('alice', { description: 'not yet', validityDays: 60 });
    const list = (await (
      await fetch(`${t.adminUrl}${API}/tokens`, { headers: { authorization: ALICE } })
    ).json()) as {
      items: Array<{ id: string; expiresSoon: boolean }>;
    };
    assert.equal(list.items.find((i) => i.id === soon.id)?.expiresSoon, true);
    assert.equal(list.items.find((i) => i.id === later.id)?.expiresSoon, false);
    await t.settings({ 'tokens.expiryWarningDays': 0 });
    try {
      const off = (await (
        await fetch(`${t.adminUrl}${API}/tokens/${soon.id}`, { headers: { authorization: ALICE } })
      ).json()) as {
        expiresSoon: boolean;
      };
      assert.equal(off.expiresSoon, false, '0 turns warnings off');
    } finally {
      await t.settings({ 'tokens.expiryWarningDays': 5 });
    }
  });
});

describe('token rotation from the command line', () => {
  it('`token rotate ID` prints the new secret once; `token list` marks tokens that expire soon', async () => {
    const up = await startEchoUpstream();
    const t = await startTestNode(up.url);
    try {
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'carol' });
      const tok = await t.tokenFor('carol', { description: 'cli rotated', validityDays: 3 });
      let out = '';
      let err = '';
      const run = async (args: string[]): Promise<number> =>
        runCli(['--data-dir', t.dir, ...args], {
          out: (s) => (out += `${s}\n`),
          err: (s) => (err += `${s}\n`),
        });
      assert.equal(await run(['token', 'rotate', tok.id, '--grace', '60', '--json']), 0, err);
      const rotated = JSON.parse(out) as Rotated;
      assert.equal(rotated.record.id, tok.id);
      // The CLI wrote through the shared database: the node hears of it through the change feed.
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = await fetch(`${t.url}/data`, { headers: { authorization: `Bearer ${rotated.token}` } }).then(
          (r) => r.status,
        );
        if (status !== 200) await sleep(100);
      }
      assert.equal(status, 200);
      out = '';
      assert.equal(await run(['token', 'list', '--user', 'carol']), 0, err);
      const row = out.split('\n').find((l) => l.startsWith(tok.id)) ?? '';
      assert.match(row, /\(expires soon\)/);
      out = '';
      err = '';
      assert.notEqual(await run(['token', 'rotate', tok.id, '--grace', 'soon']), 0);
      assert.match(err, /--grace/);
    } finally {
      await t.close();
      await up.close();
    }
  });
});
