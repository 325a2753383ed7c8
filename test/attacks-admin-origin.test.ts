import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { SESSION_COOKIE } from '../src/http/cookies.js';
import { recordAuthorization } from './support/artifacts.js';
import { ADMIN_PASSWORD } from './support/harness.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Issue 14, finding 1: the proxied application must not be able to act as a signed-in administrator.
 * Whatever the upstream serves runs with the gateway's origin, so no ambient credential of the
 * management plane may work there (the session cookie, a Basic password a browser cached), and the
 * session cookie never reaches the upstream. The same attacks in a real browser: test/e2e-admin-origin.test.ts.
 */

const API = '/_tokengate/api/v1';
/** What a browser adds to a same-origin fetch from a page of the gateway's origin. */
const BROWSER = { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };

describe('the management plane is not on the gateway origin (issue 14, finding 1)', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let cookie: string;
  let csrf: string;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    // An administrator's live session, as the web UI holds it.
    const s = await t.node.ctx.sessions.signIn('admin', ADMIN_PASSWORD, '127.0.0.1');
    cookie = `${SESSION_COOKIE}=${s.cookie}`;
    csrf = s.info.csrfToken;
    recordAuthorization(s.cookie);
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  const gateway = (path: string, init: RequestInit = {}) => fetch(`${t.url}${path}`, init);

  const userCount = () => t.node.ctx.store.users.count();
  const adminTokens = () => t.node.ctx.store.tokens.countActive('admin', Date.now());

  it('a script on the gateway origin finds no session endpoint, no CSRF token and no management API', async () => {
    const users = await userCount();
    const session = await gateway(`${API}/session`, { headers: { ...BROWSER, cookie } });
    assert.equal(session.status, 404, 'GET /session on the gateway origin');
    const signIn = await gateway(`${API}/session`, {
      method: 'POST',
      headers: { ...BROWSER, origin: t.url, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    assert.equal(signIn.status, 404, 'POST /session on the gateway origin');
    assert.equal(signIn.headers.get('set-cookie'), null);
    // What the page's script would send with the session cookie and the CSRF token it hoped to read.
    const asAdmin = (path: string, body: unknown) =>
      gateway(`${API}${path}`, {
        method: 'POST',
        headers: {
          ...BROWSER,
          origin: t.url,
          cookie,
          'x-csrf-token': csrf,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const create = await asAdmin('/admin/users', {
      username: 'backdoor',
      groups: ['admin'],
      password: 'backdoor-password-1',
    });
    assert.equal(create.status, 404, 'POST /admin/users with the session cookie on the gateway origin');
    const token = await asAdmin('/tokens', { description: 'stolen', scope: 'write' });
    assert.equal(token.status, 404, 'POST /tokens with the session cookie on the gateway origin');
    for (const path of ['/_tokengate/', '/_tokengate/metrics', `${API}/openapi.json`, `${API}/me`]) {
      const r = await gateway(path, { headers: { cookie } });
      assert.equal(r.status, 404, `${path} on the gateway origin`);
      await r.arrayBuffer();
    }
    assert.equal(await userCount(), users, 'no user was created');
    assert.equal(await adminTokens(), 0, 'no token was created');
  });

  it('serves the management plane on its own listener, loopback by default', async () => {
    assert.ok(t.adminUrl, 'the node has an admin listener');
    assert.notEqual(t.adminUrl, t.url);
    assert.match(t.adminUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${t.adminUrl}${API}/session`, { headers: { cookie } });
    assert.equal(r.status, 200);
    const ui = await fetch(`${t.adminUrl}/_tokengate/`);
    assert.equal(ui.status, 200);
    await ui.arrayBuffer();
  });

  it('keeps health, forward-auth and the compatibility API on the gateway listener', async () => {
    const health = await gateway('/_tokengate/health');
    assert.equal(health.status, 200);
    await health.arrayBuffer();
    const auth = await gateway('/_tokengate/auth');
    assert.equal(auth.status, 200, 'anonymous forward-auth passes by default');
    await auth.arrayBuffer();
    const list = await gateway('/rest/de.resolution.apitokenauth/latest/user/token', {
      headers: { authorization: basicAuth('admin', ADMIN_PASSWORD) },
    });
    assert.equal(list.status, 200, 'a script calls the compatibility API with a password');
    await list.arrayBuffer();
  });

  it('never forwards the session cookie to the upstream, and never takes it as a credential', async () => {
    up.seen.length = 0;
    const r = await gateway('/app/page', { headers: { cookie: `a=1; ${cookie}; b=2` } });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    const seen = up.seen.at(-1);
    assert.ok(seen, 'the request reached the upstream');
    assert.equal(seen.headers.cookie, 'a=1; b=2');
    const compat = await gateway('/rest/de.resolution.apitokenauth/latest/user/token', {
      headers: { cookie },
    });
    assert.equal(compat.status, 401, 'the compatibility API does not accept the session cookie');
    await compat.arrayBuffer();
  });

  it('does not turn a Basic password a browser cached for the gateway origin into a management action', async () => {
    const before = await adminTokens();
    const browserPost = await gateway('/rest/de.resolution.apitokenauth/latest/user/token', {
      method: 'POST',
      headers: {
        ...BROWSER,
        origin: t.url,
        authorization: basicAuth('admin', ADMIN_PASSWORD),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ tokenDescription: 'minted by a page', tokenValidityTimeInMonths: 1 }),
    });
    assert.equal(browserPost.status, 403, 'a browser-marked password call is refused');
    const body = (await browserPost.json()) as { error: { message: string } };
    assert.match(body.error.message, /browser/);
    const marks: Array<Record<string, string>> = [
      { 'sec-fetch-dest': 'empty' },
      { origin: 'null' },
      { 'sec-fetch-site': 'none' },
    ];
    for (const headers of marks) {
      const r = await gateway('/rest/de.resolution.apitokenauth/latest/user/token', {
        headers: { ...headers, authorization: basicAuth('admin', ADMIN_PASSWORD) },
      });
      assert.equal(r.status, 403, `refused with ${JSON.stringify(headers)}`);
      await r.arrayBuffer();
    }
    assert.equal(await adminTokens(), before, 'no token was minted');
    const script = await gateway('/rest/de.resolution.apitokenauth/latest/user/token', {
      method: 'POST',
      headers: { authorization: basicAuth('admin', ADMIN_PASSWORD), 'content-type': 'application/json' },
      body: JSON.stringify({ tokenDescription: 'from a script', tokenValidityTimeInMonths: 1 }),
    });
    assert.equal(script.status, 200, 'the same call from a script (no Sec-Fetch-*, no Origin) works');
    const minted = (await script.json()) as { plainTextToken?: string };
    if (minted.plainTextToken) recordAuthorization(minted.plainTextToken);
  });

  it('refuses two session cookies (one tossed by a page of the gateway origin) instead of taking either', async () => {
    // Eve's own session, planted with a longer path by a script on the gateway's origin: the browser
    // sends it first. Taking the first would sign the administrator in as eve.
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
      username: 'eve',
      groups: [],
      password: 'eve-password-1',
    });
    const eve = await t.node.ctx.sessions.signIn('eve', 'eve-password-1', '127.0.0.1');
    recordAuthorization(eve.cookie);
    const both = `${SESSION_COOKIE}=${eve.cookie}; ${cookie}`;
    for (const path of [`${API}/session`, `${API}/me`]) {
      const r = await fetch(`${t.adminUrl}${path}`, { headers: { cookie: both } });
      assert.equal(r.status, 401, path);
      const body = (await r.json()) as { error: { message: string } };
      assert.match(body.error.message, /2 tg_session cookies/);
    }
    const one = await fetch(`${t.adminUrl}${API}/me`, { headers: { cookie } });
    assert.equal(one.status, 200, "the administrator's own cookie alone still works");
    await one.arrayBuffer();
  });

  it('answers a loopback admin listener only under loopback host names (DNS rebinding)', async () => {
    const port = new URL(t.adminUrl).port;
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: `${API}/session`, method: 'GET', headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    assert.equal(await status(`evil.example:${port}`), 403, 'a rebinding page');
    assert.equal(await status('attacker.test'), 403);
    assert.equal(await status(`127.0.0.1.evil.example`), 403, 'an IP-looking name under a foreign domain');
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
      `ui.localhost:${port}`,
      `myhost:${port}`,
    ]) {
      assert.equal(await status(host), 401, host);
    }
  });

  it('refuses a second Content-Type, which an upstream could read instead of the one judged', async () => {
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: new URL(t.url).port,
          path: '/repo.git/git-upload-pack',
          method: 'POST',
          headers: { 'content-type': ['application/x-git-upload-pack-request', 'application/json'] },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    assert.equal(r, 400);
  });
});

describe('adminHostName: the management plane on its own host name on the gateway port', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.adminPort = null;
      c.adminHostName = 'tokengate-admin.test';
    });
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  /** A GET to the gateway's port with the given Host header. */
  const get = (host: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: new URL(t.url).port, path, headers: { ...headers, host } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('serves the UI and the management API for that host name only, and never proxies it', async () => {
    assert.equal(t.adminUrl, '', 'no admin listener');
    up.seen.length = 0;
    const me = await get('tokengate-admin.test', `${API}/me`, {
      authorization: basicAuth('admin', ADMIN_PASSWORD),
    });
    assert.equal(me.status, 200, me.body);
    assert.equal((await get('TOKENGATE-ADMIN.test:8443', '/_tokengate/')).status, 200, 'any case, any port');
    // Everything under that name is the management plane's: unknown paths are never the app's.
    // (401: the management plane asks who is calling before it looks the route up.)
    assert.equal((await get('tokengate-admin.test', '/app/page')).status, 401);
    assert.equal(up.seen.length, 0, 'nothing for the admin host name reached the upstream');
    // Any other host name is the application's: no management plane there.
    assert.equal((await get('app.test', `${API}/session`)).status, 404);
    assert.equal((await get('tokengate-admin.test.', `${API}/session`)).status, 404, 'a trailing dot');
    assert.equal((await get('app.test', '/app/page')).status, 200);
    assert.equal(up.seen.length, 1);
  });
});
