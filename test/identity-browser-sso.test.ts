import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { cli, startEchoUpstream, startTestNode, type SeenRequest, type TestNode } from './support/node.js';
import {
  freePort,
  OIDC_SECRET_ENV,
  oidcSection,
  signInWithoutBrowser,
  startOidcProvider,
  type TestProvider,
} from './support/oidc-provider.js';

/**
 * The gateway as a single sign-on gateway for browsers (auth.browser), with a real OpenID provider
 * (oidc-provider on loopback) and plain HTTP: a browser's navigation without credentials is sent to
 * sign in, the provider's own login and consent pages vouch for the user, the gateway session cookie
 * then authenticates the browser, and the upstream sees the same identity headers as for a token.
 * Scripts keep their 401 and their tokens. The Chromium suite (identity-browser-sso-chromium) drives
 * the same pages in a real browser.
 */

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let provider: TestProvider;
let node: TestNode;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
let gatewayUrl: string;
let callbackUri: string;

function setCookies(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of res.headers.getSetCookie()) {
    const [pair = ''] = c.split(';');
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers (fetch() would add its own Sec-Fetch-Mode: cors). */
function raw(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A navigation as a browser sends it: GET, Accept with text/html, Sec-Fetch-Mode: navigate. */
function navigate(path: string, cookie?: string, extra: Record<string, string> = {}): Promise<Answer> {
  return raw(`${gatewayUrl}${path}`, {
    accept: HTML,
    'sec-fetch-mode': 'navigate',
    ...(cookie ? { cookie: `tg_gateway=${cookie}` } : {}),
    ...extra,
  });
}

/** The whole sign-in of `user` from the gateway's login route; returns the session cookie and where it led. */
async function signIn(user: string, rd: string): Promise<{ session: string; location: string }> {
  const start = await fetch(`${gatewayUrl}/_tokengate/sso/login?rd=${encodeURIComponent(rd)}`, {
    redirect: 'manual',
    headers: { accept: HTML },
  });
  assert.equal(start.status, 302);
  const pending = setCookies(start).get('tg_sso_pending');
  assert.ok(pending, 'the pending sign-in is in a cookie');
  const back = await signInWithoutBrowser(start.headers.get('location') ?? '', user, callbackUri);
  const res = await fetch(back, {
    redirect: 'manual',
    headers: { accept: HTML, cookie: `tg_sso_pending=${pending}` },
  });
  assert.equal(res.status, 302, await res.clone().text());
  const session = setCookies(res).get('tg_gateway');
  assert.ok(session, 'a gateway session cookie is set');
  assert.equal(setCookies(res).get('tg_sso_pending'), '', 'the pending sign-in is cleared');
  const raw = res.headers.getSetCookie().find((c) => c.startsWith('tg_gateway=')) ?? '';
  assert.match(raw, /; Path=\/;/);
  assert.match(raw, /HttpOnly/);
  assert.match(raw, /SameSite=Lax/);
  assert.match(raw, /Max-Age=28800/);
  return { session, location: res.headers.get('location') ?? '' };
}

function lastSeen(): SeenRequest {
  const r = echo.seen.at(-1);
  assert.ok(r, 'the upstream got a request');
  return r;
}

describe('browser single sign-on at the gateway (auth.browser) with a real OpenID provider', () => {
  before(async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    gatewayUrl = `http://127.0.0.1:${port}`;
    callbackUri = `${gatewayUrl}/_tokengate/sso/callback`;
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    provider = await startOidcProvider({
      redirectUris: [`${adminUrl}/_tokengate/oidc/callback`, callbackUri],
      postLogoutRedirectUris: [`${adminUrl}/_tokengate/`, `${gatewayUrl}/_tokengate/sso/signed-out`],
    });
    process.env[OIDC_SECRET_ENV] = provider.clientSecret;
    echo = await startEchoUpstream();
    node = await startTestNode(echo.url, (c) => {
      c.port = port;
      c.adminPort = adminPort;
      c.identity.oidc = oidcSection(provider, adminUrl);
      c.auth.browser = {
        provider: 'oidc',
        externalUrl: gatewayUrl,
        allowedRedirectHosts: [],
        sessionHours: 8,
        allowedGroups: [],
      };
    });
    await node.node.ctx.settings.update(CLI_PRINCIPAL, cli, { 'auth.trustedProxies': ['127.0.0.1'] });
  });
  after(async () => {
    await node.close();
    await echo.close();
    await provider.close();
  });

  it("sends a browser's navigation without credentials to sign in, with the page to come back to", async () => {
    const res = await navigate('/wiki/page?x=1');
    assert.equal(res.status, 302);
    assert.equal(
      res.headers.location,
      `${gatewayUrl}/_tokengate/sso/login?rd=${encodeURIComponent('/wiki/page?x=1')}`,
    );
    assert.equal(echo.seen.length, 0, 'nothing reached the upstream');
  });

  it('keeps 401 for scripts: JSON clients, fetch() from a page, XHR, POST', async () => {
    const cases: Array<[string, RequestInit]> = [
      ['curl-like', { headers: { accept: '*/*' } }],
      ['JSON', { headers: { accept: 'application/json' } }],
      ['fetch from a page', { headers: { accept: HTML, 'sec-fetch-mode': 'cors' } }],
      ['XHR', { headers: { accept: HTML, 'x-requested-with': 'XMLHttpRequest' } }],
      ['POST form', { method: 'POST', body: 'a=1', headers: { accept: HTML, 'sec-fetch-mode': 'navigate' } }],
    ];
    for (const [name, init] of cases) {
      const res = await fetch(`${gatewayUrl}/api/x`, { ...init, redirect: 'manual' });
      assert.equal(res.status, 401, name);
      assert.equal(res.headers.get('location'), null, name);
      assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/, name);
    }
    // Without Sec-Fetch-Mode, as curl and most HTTP libraries send them.
    for (const accept of ['*/*', 'application/json']) {
      const res = await raw(`${gatewayUrl}/api/x`, { accept });
      assert.equal(res.status, 401, accept);
      assert.equal(res.headers.location, undefined, accept);
    }
    assert.equal(echo.seen.length, 0);
  });

  it('signs bob in at the provider; the session authenticates his browser with the same identity headers as a token', async () => {
    const { session, location } = await signIn('bob', '/wiki/page?x=1');
    assert.equal(location, '/wiki/page?x=1');
    const res = await navigate('/wiki/page?x=1', session, {
      'x-forwarded-user': 'admin',
      cookie: `other=1; tg_gateway=${session}; tg_session=planted`,
    });
    assert.equal(res.status, 200, res.body);
    const seen = lastSeen();
    assert.equal(seen.url, '/wiki/page?x=1');
    assert.equal(seen.headers['x-forwarded-user'], 'bob', 'the session user, not the client-sent name');
    assert.equal(seen.headers['x-tokengate-scope'], 'session');
    assert.equal(seen.headers['x-tokengate-token-id'], undefined, 'no token, no token id');
    assert.equal(seen.headers.cookie, 'other=1', "tokengate's cookies never reach the upstream");
    // The same user with a token through the same gateway: the same user header.
    const { token } = await node.tokenFor('bob');
    const api = await fetch(`${gatewayUrl}/api/x`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(api.status, 200, await api.clone().text());
    assert.equal(lastSeen().headers['x-forwarded-user'], 'bob');
    assert.ok(lastSeen().headers['x-tokengate-token-id']);
    assert.ok(node.lines.some((l) => l.includes('User bob authenticated with a gateway session')));
  });

  it('lets explicit credentials decide over the session cookie', async () => {
    const { session } = await signIn('bob', '/');
    const res = await fetch(`${gatewayUrl}/x`, {
      headers: {
        authorization: 'Bearer tgp_nottherealtokenatallnottherealtokenatall',
        cookie: `tg_gateway=${session}`,
      },
    });
    assert.equal(res.status, 401, 'a bad token is refused even with a live session');
  });

  it('never opens the admin UI with a gateway session cookie', async () => {
    const { session } = await signIn('bob', '/');
    const res = await fetch(`${node.adminUrl}/_tokengate/api/v1/me`, {
      headers: { cookie: `tg_session=${session}` },
    });
    assert.equal(res.status, 401);
  });

  for (const evil of [
    'https://evil.example/x',
    '//evil.example/',
    '/\\evil.example',
    'javascript:alert(1)',
  ]) {
    it(`returns to / instead of an open redirect (${evil})`, async () => {
      const { location } = await signIn('bob', evil);
      assert.equal(location, '/');
    });
  }

  it('refuses a callback without its pending sign-in, or with a tampered state', async () => {
    const start = await fetch(`${gatewayUrl}/_tokengate/sso/login?rd=/`, { redirect: 'manual' });
    const pending = setCookies(start).get('tg_sso_pending') ?? '';
    const back = await signInWithoutBrowser(start.headers.get('location') ?? '', 'bob', callbackUri);
    const none = await fetch(back, { redirect: 'manual', headers: { accept: HTML } });
    assert.equal(none.status, 401);
    assert.match(await none.text(), /Sign-in refused/);
    const tampered = new URL(back);
    tampered.searchParams.set('state', 'x'.repeat(43));
    const res = await fetch(tampered, {
      redirect: 'manual',
      headers: { accept: 'application/json', cookie: `tg_sso_pending=${pending}` },
    });
    assert.equal(res.status, 401);
    assert.equal(setCookies(res).get('tg_gateway'), undefined);
  });

  it('signs out: the session ends (on every node: its row is gone), the cookie is cleared, the provider is told', async () => {
    const { session } = await signIn('bob', '/');
    assert.equal((await navigate('/a', session)).status, 200);
    const out = await fetch(`${gatewayUrl}/_tokengate/sso/logout`, {
      redirect: 'manual',
      headers: { cookie: `tg_gateway=${session}` },
    });
    assert.equal(out.status, 302);
    const to = new URL(out.headers.get('location') ?? '');
    assert.equal(to.origin, new URL(provider.issuer).origin, 'RP-initiated logout at the provider');
    assert.ok(to.searchParams.get('id_token_hint'), 'with the ID token as the hint');
    assert.equal(setCookies(out).get('tg_gateway'), '');
    const again = await navigate('/a', session);
    assert.equal(again.status, 302, 'the old cookie no longer authenticates');
    assert.match(again.headers.location ?? '', /\/_tokengate\/sso\/login/);
  });

  it("ends a disabled user's sessions at once", async () => {
    const { session } = await signIn('bob', '/');
    assert.equal((await navigate('/b', session)).status, 200);
    await node.node.ctx.users.update(CLI_PRINCIPAL, cli, 'bob', { disabled: true });
    try {
      const res = await navigate('/b', session);
      assert.equal(res.status, 302);
    } finally {
      await node.node.ctx.users.update(CLI_PRINCIPAL, cli, 'bob', { disabled: false });
    }
  });

  it('forward-auth: nginx gets 401 with the sign-in URL, Traefik and Caddy a 302, a session 200 with the user', async () => {
    const fa = `${gatewayUrl}/_tokengate/auth`;
    const nginx = await raw(fa, { accept: HTML, 'x-original-method': 'GET', 'x-original-uri': '/app/page' });
    assert.equal(nginx.status, 401);
    assert.equal(
      nginx.headers.location,
      `${gatewayUrl}/_tokengate/sso/login?rd=${encodeURIComponent('/app/page')}`,
    );
    const host = new URL(gatewayUrl).host;
    const traefik = await raw(fa, {
      accept: HTML,
      'x-forwarded-method': 'GET',
      'x-forwarded-uri': '/app/page',
      'x-forwarded-host': host,
      'x-forwarded-proto': 'http',
    });
    assert.equal(traefik.status, 302);
    assert.equal(
      traefik.headers.location,
      `${gatewayUrl}/_tokengate/sso/login?rd=${encodeURIComponent(`http://${host}/app/page`)}`,
    );
    const script = await fetch(fa, {
      redirect: 'manual',
      headers: { accept: 'application/json', 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/api/x' },
    });
    assert.equal(script.status, 401);
    assert.equal(script.headers.get('location'), null);
    const { session } = await signIn('bob', '/');
    const ok = await fetch(fa, {
      headers: {
        accept: HTML,
        cookie: `tg_gateway=${session}`,
        'x-forwarded-method': 'GET',
        'x-forwarded-uri': '/app/page',
      },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-forwarded-user'), 'bob');
    assert.equal(ok.headers.get('x-tokengate-scope'), 'session');
    assert.equal(ok.headers.get('x-tokengate-token-id'), null);
  });

  it('counts two gateway cookies (one planted by a sibling page) as none', async () => {
    const { session } = await signIn('bob', '/');
    const res = await navigate('/c', undefined, { cookie: `tg_gateway=${session}; tg_gateway=${session}` });
    assert.equal(res.status, 302);
  });
});

describe('auth.browser.allowedGroups: only members of a listed group sign in', () => {
  let gp: TestProvider;
  let gn: TestNode;
  let url: string;

  before(async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    gp = await startOidcProvider({ redirectUris: [`${url}/_tokengate/sso/callback`] });
    process.env[OIDC_SECRET_ENV] = gp.clientSecret;
    gn = await startTestNode(null, (c) => {
      c.port = port;
      c.adminPort = adminPort;
      c.identity.oidc = oidcSection(gp, adminUrl);
      c.auth.browser = {
        provider: 'oidc',
        externalUrl: url,
        allowedRedirectHosts: [],
        sessionHours: 1,
        allowedGroups: ['tg-admins'],
      };
    });
  });
  after(async () => {
    await gn.close();
    await gp.close();
  });

  async function callbackFor(user: string): Promise<Response> {
    const start = await fetch(`${url}/_tokengate/sso/login?rd=/`, { redirect: 'manual' });
    const pending = setCookies(start).get('tg_sso_pending') ?? '';
    const back = await signInWithoutBrowser(
      start.headers.get('location') ?? '',
      user,
      `${url}/_tokengate/sso/callback`,
    );
    return fetch(back, {
      redirect: 'manual',
      headers: { accept: HTML, cookie: `tg_sso_pending=${pending}` },
    });
  }

  it('refuses bob (tg-users) with a page saying why, and opens no session', async () => {
    const res = await callbackFor('bob');
    assert.equal(res.status, 403);
    assert.match(await res.text(), /not in a group allowed to sign in here/);
    assert.equal(setCookies(res).get('tg_gateway'), undefined);
  });

  it('signs alice (tg-admins) in, with a session of sessionHours', async () => {
    const res = await callbackFor('alice');
    assert.equal(res.status, 302);
    assert.ok(setCookies(res).get('tg_gateway'));
    assert.match(
      res.headers.getSetCookie().join('\n'),
      /tg_gateway=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=3600/,
    );
  });
});
