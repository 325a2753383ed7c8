import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { gitAsync, makeBareRepo, requireGit, startGitServer, type GitServer } from './support/git-server.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

const API = '/_tokengate/api/v1';
const ADMIN_PASSWORD = 'admin-password-1';
const PLACEHOLDERS = ['x-token-auth', 'oauth2', 'git', 'token', 'X-Token-Auth', ''];

/**
 * Basic user names as real clients send them (issue 15): in any case, as Jira and Confluence take
 * them (auth.caseSensitiveUsernames keeps them exact), and the Git hosts' placeholders beside a token
 * (auth.tokenUsernamePlaceholders), where the token decides the user and the placeholder is never
 * an identity: not upstream, not in the log's user column, not as the audit author.
 */
describe('Basic user names: case and placeholders', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let adminToken: string;
  let alice: string;
  let mark = 0;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice', password: 'alice-password-1' });
    adminToken = (await t.tokenFor('admin')).token;
    alice = (await t.tokenFor('alice', { description: 'alice ci' })).token;
    await t.settings({ 'audit.events.authSuccess': true, 'audit.events.authFailedToken': true });
  });
  after(async () => {
    await t?.close();
    await up?.close();
  });

  const get = (authorization: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/rest/x`, { headers: { authorization, ...headers } });
  const api = (authorization: string, path = '/me', headers: Record<string, string> = {}) =>
    fetch(`${t.adminUrl}${API}${path}`, { headers: { authorization, ...headers } });
  const lastSeen = () => up.seen[up.seen.length - 1];
  const newLines = async (): Promise<string[]> => {
    await t.node.logs.flush();
    const lines = t.lines.slice(mark).map((l) => l.trimEnd());
    mark = t.lines.length;
    return lines;
  };
  const auditSince = async (seq: number): Promise<AuditRecord[]> => {
    await t.node.runtime.auditQueue.flush();
    return (await t.node.ctx.store.audit.search({ category: 'authentication' }, 100)).filter(
      (r) => r.seq > seq,
    );
  };
  /** Runs `body` with settings changed, and puts them back. */
  const withSettings = async (change: Record<string, unknown>, body: () => Promise<void>): Promise<void> => {
    const before = t.node.ctx.settings.current as unknown as Record<string, unknown>;
    const restore = Object.fromEntries(Object.keys(change).map((k) => [k, before[k]]));
    await t.settings(change);
    try {
      await body();
    } finally {
      await t.settings(restore);
    }
  };
  const message = async (r: Response): Promise<string> =>
    ((await r.json()) as { error: { message: string } }).error.message;

  it('gateway: ADMIN:<admin token> is admin', async () => {
    for (const name of ['ADMIN', 'Admin']) {
      const r = await get(basicAuth(name, adminToken));
      assert.equal(r.status, 200, name);
      assert.equal(lastSeen()?.headers['x-forwarded-user'], 'admin', name);
      assert.equal(lastSeen()?.headers.authorization, undefined);
    }
  });

  it('gateway: a placeholder beside a token is the owner, upstream, in the log and in the audit', async () => {
    // Earlier tests' records may still be queued: write them before taking the mark.
    await t.node.runtime.auditQueue.flush();
    const seq = (await t.node.ctx.store.audit.head())?.seq ?? 0;
    await newLines();
    for (const name of PLACEHOLDERS) {
      const r = await get(basicAuth(name, alice));
      assert.equal(r.status, 200, JSON.stringify(name));
      assert.equal(lastSeen()?.headers['x-forwarded-user'], 'alice', JSON.stringify(name));
      assert.equal(lastSeen()?.headers.authorization, undefined);
    }
    const found = (await newLines()).filter((l) => l.includes('Found a matching token'));
    assert.equal(found.length, PLACEHOLDERS.length, found.join('\n'));
    for (const l of found) {
      assert.match(l, / INFO alice .*authenticated user alice\./);
      assert.doesNotMatch(l, /x-token-auth|oauth2/i);
    }
    const records = await auditSince(seq);
    assert.equal(records.length, PLACEHOLDERS.length);
    for (const r of records) {
      assert.equal(r.action, 'auth.success');
      assert.equal(r.author, 'alice');
      assert.equal(r.affectedUser, 'alice');
    }
  });

  it("gateway: a placeholder beside a refused token names the owner, or nobody; ':password' stays malformed", async () => {
    const revoked = await t.tokenFor('alice', { description: 'to revoke' });
    await t.node.ctx.tokens.revoke(CLI_PRINCIPAL, cli, revoked.id, true);
    await newLines();
    assert.equal((await get(basicAuth('x-token-auth', revoked.token))).status, 401);
    const [line] = await newLines();
    assert.match(line ?? '', /Token verification for user alice failed: The API token has been revoked/);
    // An empty user name with a password is not `:<token>`: nobody to check, nothing to pass on.
    const seen = up.seen.length;
    const r = await get(basicAuth('', 'alice-password-1'));
    assert.equal(r.status, 401);
    assert.match(await message(r), /malformed/);
    assert.equal(up.seen.length, seen);
  });

  it('gateway: with auth.caseSensitiveUsernames, ADMIN:<admin token> is refused as another user', async () => {
    await withSettings({ 'auth.caseSensitiveUsernames': true }, async () => {
      const seen = up.seen.length;
      const r = await get(basicAuth('ADMIN', adminToken));
      assert.equal(r.status, 401);
      assert.match(await message(r), /belongs to another user/);
      assert.equal(up.seen.length, seen);
      assert.equal((await get(basicAuth('admin', adminToken))).status, 200);
      // Placeholders are conventions, not user names: they still match in any case.
      assert.equal((await get(basicAuth('X-Token-Auth', alice))).status, 200);
    });
  });

  it('gateway: with auth.tokenUsernamePlaceholders [], a placeholder must be the owner and is refused', async () => {
    await withSettings({ 'auth.tokenUsernamePlaceholders': [] }, async () => {
      const seen = up.seen.length;
      for (const name of ['x-token-auth', 'oauth2', '']) {
        const r = await get(basicAuth(name, alice));
        assert.equal(r.status, 401, JSON.stringify(name));
        assert.match(await message(r), /belongs to another user/);
      }
      assert.equal(up.seen.length, seen);
      assert.equal((await get(basicAuth('alice', alice))).status, 200);
    });
  });

  it('forward-auth: x-token-auth:<token> answers with the owner', async () => {
    const r = await fetch(`${t.url}/_tokengate/auth`, {
      headers: { authorization: basicAuth('x-token-auth', alice) },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-forwarded-user'), 'alice');
  });

  it("management API: ADMIN signs in with admin's password, token:<token> is the owner", async () => {
    const byPassword = await api(basicAuth('ADMIN', ADMIN_PASSWORD));
    assert.equal(byPassword.status, 200);
    assert.equal(((await byPassword.json()) as { user: { username: string } }).user.username, 'admin');
    for (const name of ['token', '', 'ALICE']) {
      const byToken = await api(basicAuth(name, alice));
      assert.equal(byToken.status, 200, JSON.stringify(name));
      assert.equal(((await byToken.json()) as { user: { username: string } }).user.username, 'alice');
    }
    // The web UI's sign-in too: the session is admin's.
    const ui = await fetch(`${t.adminUrl}${API}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Admin', password: ADMIN_PASSWORD }),
    });
    assert.equal(ui.status, 200);
    assert.equal(((await ui.json()) as { user: { username: string } }).user.username, 'admin');
  });

  it("management API and sign-in: with auth.caseSensitiveUsernames, ADMIN's password is refused at once", async () => {
    // Accepted a moment ago, and so remembered by the password cache: the setting must still win.
    assert.equal((await api(basicAuth('ADMIN', ADMIN_PASSWORD))).status, 200);
    await withSettings({ 'auth.caseSensitiveUsernames': true }, async () => {
      assert.equal((await api(basicAuth('ADMIN', ADMIN_PASSWORD))).status, 401);
      assert.equal((await api(basicAuth('admin', ADMIN_PASSWORD))).status, 200);
      const signIn = (username: string) =>
        fetch(`${t.adminUrl}${API}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password: ADMIN_PASSWORD }),
        });
      assert.equal((await signIn('Admin')).status, 401);
      assert.equal((await signIn('admin')).status, 200);
    });
  });

  it('brute force: ADMIN, Admin and aDmIn share one budget of password guesses for admin', async () => {
    await withSettings(
      {
        'auth.trustedProxies': ['127.0.0.1'],
        'bruteForce.userMaxFailures': 3,
        'bruteForce.ipMaxFailures': 100,
      },
      async () => {
        const from = { 'x-forwarded-for': '198.51.100.77' };
        for (const name of ['ADMIN', 'Admin', 'aDmIn'])
          assert.equal((await api(basicAuth(name, 'wrong-password-1'), '/me', from)).status, 401, name);
        // The right password, in any spelling, is refused from that client now…
        for (const name of ['admin', 'ADMIN']) {
          const r = await api(basicAuth(name, ADMIN_PASSWORD), '/me', from);
          assert.equal(r.status, 429, name);
        }
        // …and works from another client.
        const elsewhere = { 'x-forwarded-for': '198.51.100.78' };
        assert.equal((await api(basicAuth('admin', ADMIN_PASSWORD), '/me', elsewhere)).status, 200);
      },
    );
  });
});

const tools = requireGit();

/** The real-client proof: git clones with the Bitbucket-style `x-token-auth:<token>` in the URL. */
describe('git clone with a placeholder user name', { skip: 'skip' in tools ? tools.skip : false }, () => {
  let dir: string;
  let gitServer: GitServer;
  let t: TestNode;
  let token: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokengate-basic-usernames-'));
    await makeBareRepo(join(dir, 'srv'), 'repo');
    gitServer = await startGitServer(join(dir, 'srv'));
    t = await startTestNode(gitServer.url);
    // git sends credentials only after a 401 challenge (see git-clone.test.ts).
    await t.settings({ 'auth.requireAuthentication': true });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'carol' });
    token = (await t.tokenFor('carol', { description: 'git read', scope: 'read' })).token;
  });
  after(async () => {
    await t?.close();
    await gitServer?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('git clone http://x-token-auth:<token>@… succeeds as the token owner', async () => {
    const port = new URL(t.url).port;
    const work = join(dir, 'clone');
    const r = await gitAsync(['clone', `http://x-token-auth:${token}@127.0.0.1:${port}/repo.git`, work], {});
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(work, 'README.md')));
    const authed = gitServer.requests.filter((q) => q.headers['x-forwarded-user'] !== undefined);
    assert.ok(authed.length > 0);
    for (const q of authed) assert.equal(q.headers['x-forwarded-user'], 'carol', `${q.method} ${q.url}`);
  });
});
