import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { basicAuth, cli, secondApi, startTestNode, type TestNode } from './support/node.js';
import { WEB_INDEX } from './support/ui.js';

/**
 * The authorization matrix: every management endpoint, tried as every kind of caller, against one
 * table of expected statuses. The endpoints come from the running server's OpenAPI document (and
 * from every route the API registers), so a route added without a row here fails the test.
 *
 * Requests are realistic (existing objects, valid bodies), so an answer shows authorization and not
 * validation: 2xx, or 404 for an object the caller may not see, when allowed; 401 or 403 when not.
 */

const PRINCIPALS = [
  'anonymous',
  'readToken', // alice's read token (alice is a plain user in group dev)
  'writeToken', // alice's write token
  'password', // alice, Basic with her directory password
  'session', // alice, web UI session cookie (with its CSRF token)
  'manager', // mia, Basic password, group managers = permissions.manageAllTokens
  'admin', // admin, Basic password, group admin
  'adminReadToken', // a read token of admin (how docs say to scrape metrics)
  'owner', // bob, Basic password, group platform, which owns the service account ci-robot (issue 17)
] as const;
type Who = (typeof PRINCIPALS)[number];

/** Expected status per principal, in the order of PRINCIPALS. */
type Expect = readonly [number, number, number, number, number, number, number, number, number];

interface Req {
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Replaces the principal's own credentials (a fresh session for sign-out). */
  credentials?: Record<string, string>;
}

interface Row {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** The OpenAPI path template, or the plain path of a route outside the document. */
  path: string;
  /** True for routes outside the OpenAPI document (metrics, forward-auth, the UI's files). */
  extra?: boolean;
  request?: (who: Who) => Promise<Req> | Req;
  expect: Expect;
}

const API = '/_tokengate/api/v1';
const ALICE_PASSWORD = 'alice-password-1';
const MIA_PASSWORD = 'mia-password-1';
const ADMIN_PASSWORD = 'admin-password-1';
const BOB_PASSWORD = 'bob-password-1';
const UI_STATUS = existsSync(WEB_INDEX) ? 200 : 404;

describe('authorization matrix: every management endpoint × every kind of caller', () => {
  let t: TestNode;
  const creds = new Map<Who, Record<string, string>>();
  let aliceTokenId = '';
  let userCounter = 0;

  const signIn = async (username: string, password: string): Promise<Record<string, string>> => {
    const r = await fetch(`${t.adminUrl}${API}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(r.status, 200, 'sign-in for the session principal');
    const cookie = /tg_session=[^;]*/.exec(r.headers.get('set-cookie') ?? '')?.[0] ?? '';
    const { csrfToken } = (await r.json()) as { csrfToken: string };
    return { cookie, 'x-csrf-token': csrfToken };
  };
  const freshToken = async (user: string): Promise<string> =>
    (await t.tokenFor(user, { description: 'matrix victim' })).id;
  const freshUser = async (): Promise<string> => {
    const username = `gone-${++userCounter}`;
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username });
    return username;
  };
  const nextName = (): string => `new-${++userCounter}`;
  /**
   * For a password change: a fresh user of the caller's kind and groups (the change ends that user's
   * sessions, which later rows still use). Token callers keep their own credentials.
   */
  const STAND_IN_PASSWORD = 'stand-in-password-1';
  const standIn = async (who: Who): Promise<Pick<Req, 'credentials'>> => {
    const groups = {
      password: ['dev'],
      session: ['dev'],
      manager: ['managers'],
      admin: ['admin'],
      owner: ['platform'],
    };
    if (!(who in groups)) return {};
    const username = `self-${++userCounter}`;
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
      username,
      groups: groups[who as keyof typeof groups],
      password: STAND_IN_PASSWORD,
    });
    return {
      credentials:
        who === 'session'
          ? await signIn(username, STAND_IN_PASSWORD)
          : { authorization: basicAuth(username, STAND_IN_PASSWORD) },
    };
  };

  const ROWS: Row[] = [
    //                                                  anon read write  pass  sess   mgr admin aRead owner
    { method: 'GET', path: '/_tokengate/health', expect: [200, 200, 200, 200, 200, 200, 200, 200, 200] },
    { method: 'GET', path: '/_tokengate/livez', expect: [200, 200, 200, 200, 200, 200, 200, 200, 200] },
    { method: 'GET', path: '/_tokengate/readyz', expect: [200, 200, 200, 200, 200, 200, 200, 200, 200] },
    { method: 'GET', path: `${API}/me`, expect: [401, 200, 200, 200, 200, 200, 200, 200, 200] },
    {
      // One's own password, with a password or a session: a token cannot set passwords.
      method: 'PUT',
      path: `${API}/me/password`,
      request: async (who) => ({
        url: `${API}/me/password`,
        body: { currentPassword: STAND_IN_PASSWORD, newPassword: 'changed-password-1' },
        ...(await standIn(who)),
      }),
      expect: [401, 403, 403, 200, 200, 200, 200, 403, 200],
    },
    { method: 'GET', path: `${API}/tokens`, expect: [401, 200, 200, 200, 200, 200, 200, 200, 200] },
    {
      // Tokens cannot create tokens; a read token cannot write at all.
      method: 'POST',
      path: `${API}/tokens`,
      request: () => ({ url: `${API}/tokens`, body: { description: 'matrix own token' } }),
      expect: [401, 403, 403, 201, 201, 201, 201, 403, 201],
    },
    {
      // alice's token: hers to see; /tokens/{id} is for one's own tokens only, so others get 404.
      method: 'GET',
      path: `${API}/tokens/{id}`,
      request: () => ({ url: `${API}/tokens/${aliceTokenId}` }),
      expect: [401, 200, 200, 200, 200, 404, 404, 404, 404],
    },
    {
      method: 'PATCH',
      path: `${API}/tokens/{id}`,
      request: (who) => ({
        url: `${API}/tokens/${aliceTokenId}`,
        body: { description: `renamed by ${who}` },
      }),
      expect: [401, 403, 200, 200, 200, 404, 404, 403, 404],
    },
    {
      method: 'DELETE',
      path: `${API}/tokens/{id}`,
      request: async () => ({ url: `${API}/tokens/${await freshToken('alice')}` }),
      expect: [401, 403, 204, 204, 204, 404, 404, 403, 404],
    },
    {
      // Own tokens only; a token may rotate only itself (this one is another of alice's).
      method: 'POST',
      path: `${API}/tokens/{id}/rotate`,
      request: async () => ({ url: `${API}/tokens/${await freshToken('alice')}/rotate`, body: {} }),
      expect: [401, 403, 403, 200, 200, 404, 404, 403, 404],
    },
    {
      method: 'GET',
      path: `${API}/admin/tokens`,
      request: () => ({ url: `${API}/admin/tokens?user=alice&limit=5` }),
      expect: [401, 403, 403, 403, 403, 200, 200, 200, 403],
    },
    {
      // bob owns a service account, so he passes the token manager's door, but alice's tokens stay
      // hidden from him (404), and the search, creation and bulk revocation for others are refused.
      method: 'GET',
      path: `${API}/admin/tokens/{id}`,
      request: () => ({ url: `${API}/admin/tokens/${aliceTokenId}` }),
      expect: [401, 403, 403, 403, 403, 200, 200, 200, 404],
    },
    {
      method: 'DELETE',
      path: `${API}/admin/tokens/{id}`,
      request: async () => ({ url: `${API}/admin/tokens/${await freshToken('alice')}` }),
      expect: [401, 403, 403, 403, 403, 204, 204, 403, 404],
    },
    {
      method: 'POST',
      path: `${API}/admin/tokens/{id}/rotate`,
      request: async () => ({ url: `${API}/admin/tokens/${await freshToken('alice')}/rotate`, body: {} }),
      expect: [401, 403, 403, 403, 403, 200, 200, 403, 404],
    },
    {
      method: 'POST',
      path: `${API}/admin/users/{user}/tokens`,
      request: () => ({ url: `${API}/admin/users/victim/tokens`, body: { description: 'for victim' } }),
      expect: [401, 403, 403, 403, 403, 201, 201, 403, 403],
    },
    {
      method: 'DELETE',
      path: `${API}/admin/users/{user}/tokens`,
      request: () => ({ url: `${API}/admin/users/victim/tokens` }),
      expect: [401, 403, 403, 403, 403, 200, 200, 403, 403],
    },
    { method: 'GET', path: `${API}/admin/users`, expect: [401, 403, 403, 403, 403, 403, 200, 200, 403] },
    {
      method: 'POST',
      path: `${API}/admin/users`,
      request: () => ({ url: `${API}/admin/users`, body: { username: nextName(), groups: ['dev'] } }),
      expect: [401, 403, 403, 403, 403, 403, 201, 403, 403],
    },
    {
      // Another user's record (a user may read only their own).
      method: 'GET',
      path: `${API}/admin/users/{user}`,
      request: () => ({ url: `${API}/admin/users/victim` }),
      expect: [401, 403, 403, 403, 403, 403, 200, 200, 403],
    },
    {
      method: 'PATCH',
      path: `${API}/admin/users/{user}`,
      request: () => ({ url: `${API}/admin/users/victim`, body: { displayName: 'Victim' } }),
      expect: [401, 403, 403, 403, 403, 403, 200, 403, 403],
    },
    {
      method: 'DELETE',
      path: `${API}/admin/users/{user}`,
      request: async () => ({ url: `${API}/admin/users/${await freshUser()}` }),
      expect: [401, 403, 403, 403, 403, 403, 204, 403, 403],
    },
    { method: 'GET', path: `${API}/admin/settings`, expect: [401, 403, 403, 403, 403, 403, 200, 200, 403] },
    {
      method: 'PATCH',
      path: `${API}/admin/settings`,
      request: () => ({ url: `${API}/admin/settings`, body: { 'tokens.maxPerUser': 10_000 } }),
      expect: [401, 403, 403, 403, 403, 403, 200, 403, 403],
    },
    {
      method: 'GET',
      path: `${API}/admin/settings/schema`,
      expect: [401, 403, 403, 403, 403, 403, 200, 200, 403],
    },
    { method: 'GET', path: `${API}/admin/log-levels`, expect: [401, 403, 403, 403, 403, 403, 200, 200, 403] },
    {
      method: 'PUT',
      path: `${API}/admin/log-levels/{logger}`,
      request: () => ({ url: `${API}/admin/log-levels/matrix`, body: { level: 'INFO' } }),
      expect: [401, 403, 403, 403, 403, 403, 200, 403, 403],
    },
    {
      // Sign-in is public: whoever calls, alice's password signs alice in.
      method: 'POST',
      path: `${API}/session`,
      request: () => ({ url: `${API}/session`, body: { username: 'alice', password: ALICE_PASSWORD } }),
      expect: [200, 200, 200, 200, 200, 200, 200, 200, 200],
    },
    {
      // Only a session cookie is a session: a token or a password in Authorization is not.
      method: 'GET',
      path: `${API}/session`,
      expect: [401, 401, 401, 401, 200, 401, 401, 401, 401],
    },
    {
      // Sign-out is public and idempotent; the session principal signs out a session of its own.
      method: 'DELETE',
      path: `${API}/session`,
      request: async (who) => ({
        url: `${API}/session`,
        ...(who === 'session' ? { credentials: await signIn('alice', ALICE_PASSWORD) } : {}),
      }),
      expect: [204, 204, 204, 204, 204, 204, 204, 204, 204],
    },
    {
      method: 'GET',
      path: `${API}/admin/stats`,
      request: () => ({ url: `${API}/admin/stats?hours=1` }),
      expect: [401, 403, 403, 403, 403, 200, 200, 200, 403],
    },
    {
      method: 'GET',
      path: `${API}/admin/audit`,
      request: () => ({ url: `${API}/admin/audit?limit=2` }),
      expect: [401, 403, 403, 403, 403, 403, 200, 200, 403],
    },
    {
      method: 'GET',
      path: `${API}/admin/audit/export`,
      request: () => ({ url: `${API}/admin/audit/export?format=csv&category=users` }),
      expect: [401, 403, 403, 403, 403, 403, 200, 200, 403],
    },
    {
      method: 'GET',
      path: `${API}/admin/audit/verify`,
      expect: [401, 403, 403, 403, 403, 403, 200, 200, 403],
    },
    // Outside the OpenAPI document.
    {
      // Signed by a scanner, not by a caller: off on this node, so 404 for everyone.
      method: 'POST',
      path: `${API}/secret-scanning`,
      extra: true,
      request: () => ({ url: `${API}/secret-scanning`, body: [] }),
      expect: [404, 404, 404, 404, 404, 404, 404, 404, 404],
    },
    {
      method: 'GET',
      path: `${API}/openapi.json`,
      extra: true,
      expect: [200, 200, 200, 200, 200, 200, 200, 200, 200],
    },
    {
      method: 'GET',
      path: '/_tokengate/metrics',
      extra: true,
      expect: [401, 403, 403, 403, 403, 403, 200, 200, 403],
    },
    {
      // The web UI's page and files are public (they hold no data); `UI_STATUS` is 404 when unbuilt.
      method: 'GET',
      path: '/_tokengate/',
      extra: true,
      expect: [
        UI_STATUS,
        UI_STATUS,
        UI_STATUS,
        UI_STATUS,
        UI_STATUS,
        UI_STATUS,
        UI_STATUS,
        UI_STATUS,
        UI_STATUS,
      ],
    },
    {
      method: 'GET',
      path: '/_tokengate/assets/*',
      extra: true,
      request: () => ({ url: '/_tokengate/assets/no-such-file.js' }),
      expect: [404, 404, 404, 404, 404, 404, 404, 404, 404],
    },
    {
      // Forward-auth with auth.requireAuthentication on: only tokens pass; neither a password nor
      // the web UI's session cookie is a credential for the upstream.
      method: 'GET',
      path: '/_tokengate/auth',
      extra: true,
      request: () => ({
        url: '/_tokengate/auth',
        headers: { 'x-original-method': 'GET', 'x-original-uri': '/repo/file.txt' },
      }),
      expect: [401, 200, 200, 401, 401, 401, 401, 200, 401],
    },
    {
      method: 'GET',
      path: '/_tokengate/auth (original method POST)',
      extra: true,
      request: () => ({
        url: '/_tokengate/auth',
        headers: { 'x-original-method': 'POST', 'x-original-uri': '/repo/upload' },
      }),
      expect: [401, 403, 200, 401, 401, 401, 401, 403, 401],
    },
  ];

  before(async () => {
    t = await startTestNode(null);
    const users = t.node.ctx.users;
    await users.create(CLI_PRINCIPAL, cli, { username: 'alice', groups: ['dev'], password: ALICE_PASSWORD });
    await users.create(CLI_PRINCIPAL, cli, { username: 'mia', groups: ['managers'], password: MIA_PASSWORD });
    await users.create(CLI_PRINCIPAL, cli, { username: 'victim', groups: ['dev'] });
    await users.create(CLI_PRINCIPAL, cli, { username: 'bob', groups: ['platform'], password: BOB_PASSWORD });
    await users.create(CLI_PRINCIPAL, cli, {
      username: 'ci-robot',
      serviceAccount: true,
      ownerGroup: 'platform',
    });
    await t.settings({
      'permissions.manageAllTokens': ['managers'],
      'tokens.maxPerUser': 10_000,
      'auth.requireAuthentication': true,
      // Forward-auth believes X-Original-* only from a trusted proxy: the test plays that proxy.
      'auth.trustedProxies': ['127.0.0.1'],
    });
    const aliceRead = await t.tokenFor('alice', { scope: 'read', description: 'alice read' });
    const aliceWrite = await t.tokenFor('alice', { scope: 'write', description: 'alice write' });
    const adminRead = await t.tokenFor('admin', { scope: 'read', description: 'admin read' });
    aliceTokenId = (await t.tokenFor('alice', { description: 'alice fixture' })).id;
    creds.set('anonymous', {});
    creds.set('readToken', { authorization: `Bearer ${aliceRead.token}` });
    creds.set('writeToken', { authorization: `Bearer ${aliceWrite.token}` });
    creds.set('password', { authorization: basicAuth('alice', ALICE_PASSWORD) });
    creds.set('session', await signIn('alice', ALICE_PASSWORD));
    creds.set('manager', { authorization: basicAuth('mia', MIA_PASSWORD) });
    creds.set('admin', { authorization: basicAuth('admin', ADMIN_PASSWORD) });
    creds.set('adminReadToken', { authorization: `Bearer ${adminRead.token}` });
    creds.set('owner', { authorization: basicAuth('bob', BOB_PASSWORD) });
  });
  after(() => t.close());

  const send = async (
    method: string,
    row: Row,
    who: Who,
  ): Promise<{ status: number; body: string; csp: string | null }> => {
    const req: Req = row.request ? await row.request(who) : { url: row.path };
    const headers: Record<string, string> = {
      ...(req.credentials ?? creds.get(who) ?? {}),
      ...(req.headers ?? {}),
    };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    // Forward-auth is the gateway listener's; everything else in the table is the admin listener's.
    const base = req.url.startsWith('/_tokengate/auth') ? t.url : t.adminUrl;
    const r = await fetch(`${base}${req.url}`, {
      method,
      headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
    });
    const body = method === 'HEAD' ? '' : await r.text();
    return { status: r.status, body, csp: r.headers.get('content-security-policy') };
  };

  it('has a row for every operation in the OpenAPI document, and no row for a missing one', async () => {
    const r = await fetch(`${t.adminUrl}${API}/openapi.json`);
    const doc = (await r.json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const inTable = ROWS.filter((row) => !row.extra)
      .map((row) => `${row.method} ${row.path}`)
      .sort();
    assert.ok(documented.length >= 27, `only ${documented.length} operations documented`);
    assert.deepEqual(inTable, documented, 'each documented operation needs exactly one row');
  });

  it('has a row for every route the API registers, hidden ones included', async () => {
    // A second API on the same context, with an onRoute hook added before its plugins load.
    const api = secondApi(t);
    const routes: string[] = [];
    api.addHook('onRoute', (route) => {
      for (const m of [route.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${route.url}`);
    });
    await api.ready();
    await api.close();
    assert.ok(routes.length >= 30, `only ${routes.length} routes seen`);
    const known = new Set(
      ROWS.map((row) => `${row.method} ${row.path.replace(/\{(\w+)\}/g, ':$1').replace(/ \(.*\)$/, '')}`),
    );
    // The UI's index is registered as /_tokengate (trailing slashes are ignored).
    known.add('GET /_tokengate');
    const missing = [...new Set(routes)].filter((r) => !known.has(r));
    assert.deepEqual(missing, [], 'routes without a row in the authorization matrix');
  });

  it('answers every (endpoint, caller) pair as the table says', { timeout: 300_000 }, async () => {
    const wrong: string[] = [];
    let cells = 0;
    for (const row of ROWS) {
      for (const [i, who] of PRINCIPALS.entries()) {
        const expected = row.expect[i];
        const got = await send(row.method, row, who);
        cells++;
        if (got.status !== expected) {
          wrong.push(
            `${row.method} ${row.path} as ${who}: expected ${String(expected)}, got ${got.status} ${got.body.slice(0, 160)}`,
          );
          continue;
        }
        // Refusals use the one error shape, with the matching code.
        if (got.status === 401 || got.status === 403) {
          const code = (JSON.parse(got.body) as { error?: { code?: string } }).error?.code;
          const want = got.status === 401 ? 'unauthorized' : 'forbidden';
          if (code !== want) wrong.push(`${row.method} ${row.path} as ${who}: error code ${String(code)}`);
        }
        // Every answer of the management API carries the CSP (forward-auth answers a proxy, not a browser).
        if (!row.path.startsWith('/_tokengate/auth') && got.csp === null) {
          wrong.push(`${row.method} ${row.path} as ${who}: no Content-Security-Policy`);
        }
      }
    }
    assert.equal(cells, ROWS.length * PRINCIPALS.length);
    assert.deepEqual(wrong, [], `${wrong.length} of ${cells} answers differ from the table`);
  });

  it('answers HEAD exactly as GET, for every GET row and caller', { timeout: 300_000 }, async () => {
    const wrong: string[] = [];
    for (const row of ROWS.filter((r) => r.method === 'GET')) {
      for (const [i, who] of PRINCIPALS.entries()) {
        const got = await send('HEAD', row, who);
        if (got.status !== row.expect[i]) {
          wrong.push(`HEAD ${row.path} as ${who}: expected ${String(row.expect[i])}, got ${got.status}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('left the objects of refused calls untouched', async () => {
    // Refused writes changed nothing: victim is enabled with its own display name, settings unchanged.
    const victim = await t.node.ctx.store.users.find('victim');
    assert.equal(victim?.disabled, false);
    assert.equal(t.node.ctx.settings.current['permissions.manageAllTokens'].join(), 'managers');
    const fixture = await t.node.ctx.store.tokens.findById(aliceTokenId);
    assert.equal(fixture?.revokedAt, null);
    // Only alice's write token, her password and her session renamed it (the last of them wins).
    assert.match(fixture?.description ?? '', /^renamed by (writeToken|password|session)$/);
  });
});
