import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startTestNode, type TestNode } from './support/node.js';
import {
  freePort,
  oidcSection,
  signInWithoutBrowser,
  startOidcProvider,
  startUiProvider,
  type TestProvider,
} from './support/oidc-provider.js';

/**
 * The web UI's sign-in with a real OpenID provider (oidc-provider on loopback), over HTTP without a
 * browser: tokengate's login route → the provider's own login and consent pages → tokengate's
 * callback → a UI session. The Chromium suite (identity-oidc-browser.test.ts) drives the same pages.
 */

const API = '/_tokengate/api/v1';
const UI = '/_tokengate/';

let provider: TestProvider;
let other: TestProvider;
let node: TestNode;
let adminUrl: string;
let callbackUri: string;

/** The `name=value` of every Set-Cookie, by name. */
function cookies(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of res.headers.getSetCookie()) {
    const [pair = ''] = c.split(';');
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

/** tokengate's login route: the provider's authorization URL and the pending sign-in cookie. */
async function login(returnTo?: string): Promise<{ authorizationUrl: string; pending: string }> {
  const q = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
  const res = await fetch(`${adminUrl}/_tokengate/oidc/login${q}`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  const location = res.headers.get('location') ?? '';
  assert.ok(location.startsWith(`${provider.issuer}/`), location);
  const pending = cookies(res).get('tg_oidc_pending');
  assert.ok(pending, 'the pending sign-in is in a cookie');
  const raw = res.headers.getSetCookie().join('\n');
  assert.match(raw, /HttpOnly/);
  assert.match(raw, /SameSite=Lax/);
  return { authorizationUrl: location, pending };
}

/** Delivers the provider's redirect to tokengate's callback with the pending cookie. */
function callback(url: string, pending: string | null, accept = 'application/json'): Promise<Response> {
  return fetch(url, {
    redirect: 'manual',
    headers: { accept, ...(pending === null ? {} : { cookie: `tg_oidc_pending=${pending}` }) },
  });
}

/** The whole sign-in of `user`; returns the session cookie and where the callback sent the browser. */
async function signIn(user: string, returnTo?: string): Promise<{ session: string; location: string }> {
  const { authorizationUrl, pending } = await login(returnTo);
  const back = await signInWithoutBrowser(authorizationUrl, user, callbackUri);
  const res = await callback(back, pending);
  assert.equal(res.status, 302, await res.clone().text());
  const session = cookies(res).get('tg_session');
  assert.ok(session, 'a session cookie is set');
  assert.equal(cookies(res).get('tg_oidc_pending'), '', 'the pending sign-in is cleared');
  return { session, location: res.headers.get('location') ?? '' };
}

async function me(session: string): Promise<Response> {
  return fetch(`${adminUrl}${API}/me`, { headers: { cookie: `tg_session=${session}` } });
}

describe('web UI sign-in with a real OpenID provider', () => {
  before(async () => {
    const port = await freePort();
    adminUrl = `http://127.0.0.1:${port}`;
    callbackUri = `${adminUrl}/_tokengate/oidc/callback`;
    provider = await startUiProvider(adminUrl);
    // Same client registration, another issuer: the mix-up attacker's provider.
    other = await startOidcProvider({ redirectUris: [callbackUri], clientSecret: provider.clientSecret });
    node = await startTestNode(null, (c) => {
      c.adminPort = port;
      c.identity.oidc = oidcSection(provider, adminUrl);
      c.identity.groups.admin = ['tg-admins'];
    });
  });
  after(async () => {
    await node.close();
    await provider.close();
    await other.close();
  });

  it("offers the button: GET /session's 401 names the provider for the sign-in page", async () => {
    const res = await fetch(`${adminUrl}${API}/session`);
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { details?: unknown } };
    assert.deepEqual(body.error.details, {
      oidc: { displayName: 'Test provider', loginUrl: '/_tokengate/oidc/login' },
    });
  });

  it('signs alice in through the provider; her tg-admins group makes her an admin', async () => {
    const { session, location } = await signIn('alice', '/_tokengate/#/tokens');
    assert.equal(location, '/_tokengate/#/tokens');
    const res = await me(session);
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      user: { username: string; email: string; groups: string[] };
      authenticatedWith: string;
      permissions: { admin: boolean };
    };
    assert.equal(body.user.username, 'alice');
    assert.equal(body.user.email, 'alice@example.test');
    assert.equal(body.authenticatedWith, 'session');
    assert.equal(body.permissions.admin, true);
  });

  it('signs bob in without admin powers', async () => {
    const { session, location } = await signIn('bob');
    assert.equal(location, UI, 'no returnTo: the UI');
    const body = (await (await me(session)).json()) as {
      user: { username: string };
      permissions: { admin: boolean };
    };
    assert.equal(body.user.username, 'bob');
    assert.equal(body.permissions.admin, false);
  });

  for (const evil of ['//evil.example', 'https://evil.example/x', '/\\evil.example']) {
    it(`sends an open-redirect returnTo (${evil}) to the UI instead`, async () => {
      const { location } = await signIn('bob', evil);
      assert.equal(location, UI);
    });
  }

  it('refuses a tampered state (401) and opens no session', async () => {
    const { authorizationUrl, pending } = await login();
    const back = new URL(await signInWithoutBrowser(authorizationUrl, 'alice', callbackUri));
    back.searchParams.set('state', `${back.searchParams.get('state') ?? ''}x`);
    const res = await callback(back.href, pending);
    assert.equal(res.status, 401);
    assert.equal(cookies(res).get('tg_session'), undefined);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unauthorized');
    assert.match(body.error.message, /state/);
  });

  it('refuses a callback without the pending sign-in cookie (login CSRF)', async () => {
    const { authorizationUrl } = await login();
    const back = await signInWithoutBrowser(authorizationUrl, 'alice', callbackUri);
    const res = await callback(back, null);
    assert.equal(res.status, 401);
    assert.equal(cookies(res).get('tg_session'), undefined);
  });

  it('refuses a response from another issuer (mix-up)', async () => {
    const { authorizationUrl, pending } = await login();
    const back = new URL(await signInWithoutBrowser(authorizationUrl, 'alice', callbackUri));
    back.searchParams.set('iss', other.issuer);
    const res = await callback(back.href, pending);
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /issuer/);
  });

  it('shows a browser a refusal page, not JSON, and no secret from the callback', async () => {
    const { authorizationUrl, pending } = await login();
    const back = new URL(await signInWithoutBrowser(authorizationUrl, 'alice', callbackUri));
    const code = back.searchParams.get('code') ?? '';
    back.searchParams.set('state', 'forged');
    const res = await callback(back.href, pending, 'text/html');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /Sign-in refused/);
    assert.ok(!html.includes(code) && !html.includes(pending));
  });

  it('refuses a name tokengate cannot hold (403)', async () => {
    const { authorizationUrl, pending } = await login();
    const back = await signInWithoutBrowser(authorizationUrl, 'weird', callbackUri);
    const res = await callback(back, pending);
    assert.ok(res.status === 401 || res.status === 403, String(res.status));
    assert.equal(cookies(res).get('tg_session'), undefined);
  });

  it("signs out: the session ends and the browser is sent to the provider's end-session endpoint", async () => {
    const { session } = await signIn('alice');
    const s = (await (
      await fetch(`${adminUrl}${API}/session`, { headers: { cookie: `tg_session=${session}` } })
    ).json()) as { csrfToken: string };
    const res = await fetch(`${adminUrl}/_tokengate/oidc/logout`, {
      method: 'POST',
      headers: { cookie: `tg_session=${session}`, 'x-csrf-token': s.csrfToken },
    });
    assert.equal(res.status, 200);
    const { logoutUrl } = (await res.json()) as { logoutUrl: string };
    const url = new URL(logoutUrl);
    assert.equal(url.origin, provider.issuer);
    assert.ok(url.searchParams.get('id_token_hint'), 'the ID token is the hint');
    assert.equal(url.searchParams.get('post_logout_redirect_uri'), `${adminUrl}/_tokengate/`);
    assert.equal((await me(session)).status, 401, 'the session is gone');
  });

  it('refuses sign-out without the CSRF token', async () => {
    const { session } = await signIn('bob');
    const res = await fetch(`${adminUrl}/_tokengate/oidc/logout`, {
      method: 'POST',
      headers: { cookie: `tg_session=${session}` },
    });
    assert.equal(res.status, 403);
    assert.equal((await me(session)).status, 200);
  });
});
