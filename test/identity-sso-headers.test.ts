import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { requireNginx, startNginx, type NginxHandle } from './support/nginx.js';
import { startTestNode, type TestNode } from './support/node.js';

/**
 * Trusted SSO headers with a real nginx in front of the admin listener, standing in for Authelia or
 * oauth2-proxy behind `auth_request`: nginx sets Remote-User / Remote-Groups / Remote-Email (here from
 * X-Test-* request headers, where the real proxy takes them from its auth_request answer) and reaches
 * tokengate from 127.0.0.2, the one address in auth.trustedProxies. The same headers sent straight to
 * tokengate from 127.0.0.1 are ignored.
 */

const nginx = requireNginx();
const API = '/_tokengate/api/v1';
/** nginx's outgoing address: trusted. The test's own requests come from 127.0.0.1: not trusted. */
const PROXY_ADDRESS = '127.0.0.2';

let node: TestNode;
let proxy: NginxHandle;

function config(port: number, admin: string): string {
  return `
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://${admin};
      proxy_bind ${PROXY_ADDRESS};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      # Always set, so a client's own Remote-* headers never pass (an empty value removes the header).
      proxy_set_header Remote-User $http_x_test_user;
      proxy_set_header Remote-Groups $http_x_test_groups;
      proxy_set_header Remote-Email $http_x_test_email;
      proxy_set_header Remote-Name "";
    }
  }`;
}

function viaProxy(path: string, user: string | null, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (user !== null) {
    headers.set('x-test-user', user);
    headers.set('x-test-groups', user === 'carol' ? 'tg-admins, staff' : 'staff');
    headers.set('x-test-email', `${user}@example.test`);
  }
  return fetch(`${proxy.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(15_000) });
}

function sessionCookie(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('tg_session='));
  assert.ok(set, 'a session cookie is set');
  return (set.split(';')[0] ?? '').slice('tg_session='.length);
}

describe('trusted SSO headers through a real nginx', { skip: 'skip' in nginx ? nginx.skip : false }, () => {
  before(async () => {
    node = await startTestNode(null, (c) => {
      c.adminPort = 0;
      c.identity.ssoHeaders = {
        user: 'remote-user',
        groups: 'remote-groups',
        email: 'remote-email',
        name: 'remote-name',
        groupSeparator: ',',
      };
      c.identity.groups.admin = ['tg-admins'];
    });
    await node.settings({ 'auth.trustedProxies': [`${PROXY_ADDRESS}/32`] });
    proxy = await startNginx((port) => config(port, new URL(node.adminUrl).host));
  });
  after(async () => {
    await proxy?.close();
    await node?.close();
  });

  it("signs the proxy's user in: GET /session opens a UI session, groups mapped", async () => {
    const res = await viaProxy(`${API}/session`, 'carol');
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { user: { username: string; email: string; groups: string[] } };
    assert.equal(body.user.username, 'carol');
    assert.equal(body.user.email, 'carol@example.test');
    const cookie = sessionCookie(res);
    const me = await viaProxy(`${API}/me`, 'carol', { headers: { cookie: `tg_session=${cookie}` } });
    assert.equal(me.status, 200);
    const who = (await me.json()) as { user: { username: string }; permissions: { admin: boolean } };
    assert.equal(who.user.username, 'carol');
    assert.equal(who.permissions.admin, true);
  });

  it('keeps one session while the proxy names the same user', async () => {
    const first = await viaProxy(`${API}/session`, 'dave');
    const cookie = sessionCookie(first);
    const again = await viaProxy(`${API}/session`, 'dave', { headers: { cookie: `tg_session=${cookie}` } });
    assert.equal(again.status, 200);
    assert.equal(again.headers.getSetCookie().length, 0, 'no new session');
  });

  it('keeps CSRF protection: a write with the session but without X-CSRF-Token is refused', async () => {
    const cookie = sessionCookie(await viaProxy(`${API}/session`, 'carol'));
    const res = await viaProxy(`${API}/tokens`, 'carol', {
      method: 'POST',
      headers: { cookie: `tg_session=${cookie}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'x' }),
    });
    assert.equal(res.status, 403);
  });

  it('ends a session the proxy no longer vouches for (another user signed in at the proxy)', async () => {
    const cookie = sessionCookie(await viaProxy(`${API}/session`, 'carol'));
    const me = await viaProxy(`${API}/me`, 'dave', { headers: { cookie: `tg_session=${cookie}` } });
    assert.equal(me.status, 401);
    const next = await viaProxy(`${API}/session`, 'dave', { headers: { cookie: `tg_session=${cookie}` } });
    assert.equal(((await next.json()) as { user: { username: string } }).user.username, 'dave');
  });

  it('does not sign in a local user by header (provisioning refuses: 403)', async () => {
    const res = await viaProxy(`${API}/session`, 'admin');
    assert.equal(res.status, 403);
    assert.equal(res.headers.getSetCookie().length, 0);
  });

  it("without the proxy's user header there is no sign-in", async () => {
    const res = await viaProxy(`${API}/session`, null);
    assert.equal(res.status, 401);
  });

  it('ignores the same headers sent straight to tokengate from an untrusted peer', async () => {
    const headers = { 'remote-user': 'carol', 'remote-groups': 'tg-admins', 'x-forwarded-for': '10.0.0.1' };
    const session = await fetch(`${node.adminUrl}${API}/session`, { headers });
    assert.equal(session.status, 401);
    assert.equal(session.headers.getSetCookie().length, 0);
    const me = await fetch(`${node.adminUrl}${API}/me`, { headers });
    assert.equal(me.status, 401);
  });
});
