import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import {
  documentedBlock,
  navigate,
  raw,
  replaceExactly,
  signInThrough,
  signInUrl,
  startSsoBackend,
  type SsoBackend,
} from './support/forward-auth-sso.js';
import { requireNginx, startNginx, type NginxHandle } from './support/nginx.js';
import { startEchoUpstream, type SeenRequest } from './support/node.js';
import { freePort } from './support/processes.js';

const nginx = requireNginx();

/**
 * "Browsers by single sign-on, scripts by token" behind a real nginx, with the server block of
 * docs/forward-auth.md read from between its nginx-sso-config markers (only the ports change) and a
 * real OpenID provider: a browser's navigation is sent to sign in, a script gets 401, a token passes,
 * and the whole sign-in runs through nginx to a session that reaches the application as its user.
 */
describe(
  'browser sign-in and tokens behind a real nginx, as docs/forward-auth.md configures it',
  { skip: 'skip' in nginx ? nginx.skip : false },
  () => {
    let up: Awaited<ReturnType<typeof startEchoUpstream>>;
    let backend: SsoBackend;
    let proxy: NginxHandle;

    before(async () => {
      up = await startEchoUpstream();
      const tokengatePort = await freePort();
      const conf = documentedBlock('nginx-sso-config', 'nginx');
      // nginx first (its port is picked as it starts), tokengate then with nginx's URL as externalUrl.
      proxy = await startNginx((port) => {
        let out = replaceExactly(conf, 'listen 80;', `listen 127.0.0.1:${port};`);
        out = replaceExactly(out, 'server 127.0.0.1:8080;', `server 127.0.0.1:${tokengatePort};`);
        return replaceExactly(out, 'proxy_pass http://127.0.0.1:3000;', `proxy_pass ${up.url};`);
      });
      backend = await startSsoBackend(tokengatePort, proxy.url);
    });

    after(async () => {
      await proxy?.close();
      await backend?.close();
      await up?.close();
    });

    beforeEach(() => {
      up.seen.length = 0;
    });

    const onlySeen = (): SeenRequest => {
      assert.equal(up.seen.length, 1, 'the upstream saw exactly one request');
      const s = up.seen[0];
      assert.ok(s);
      return s;
    };

    it("sends a browser's navigation without credentials to sign in, on nginx's origin (302)", async () => {
      const res = await navigate(`${proxy.url}/app/page?x=1`, { 'x-forwarded-user': 'admin' });
      assert.equal(res.status, 302, res.body);
      assert.equal(res.headers.location, signInUrl(proxy.url, `${proxy.url}/app/page?x=1`));
      assert.equal(up.seen.length, 0, 'nothing reached the application');
    });

    it('answers a script without credentials 401 with JSON and the challenge', async () => {
      for (const headers of <Array<Record<string, string>>>[
        { accept: '*/*' },
        { accept: 'application/json' },
        { accept: 'text/html', 'sec-fetch-mode': 'cors' },
      ]) {
        const res = await raw(`${proxy.url}/api/x`, headers);
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.equal(res.headers.location, undefined);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.equal(
          (JSON.parse(res.body) as { error: { code: string } }).error.code,
          'unauthorized',
          res.body,
        );
        assert.match(String(res.headers['www-authenticate']), /^Basic realm="tokengate"/);
      }
      assert.equal(up.seen.length, 0);
    });

    it('passes a Bearer token to the application as its user, without the token', async () => {
      const res = await raw(`${proxy.url}/api/x`, {
        accept: 'application/json',
        authorization: `Bearer ${backend.token}`,
      });
      assert.equal(res.status, 200, res.body);
      const s = onlySeen();
      assert.equal(s.url, '/api/x');
      assert.equal(s.headers['x-forwarded-user'], 'alice');
      assert.equal(s.headers['x-tokengate-scope'], 'write');
      assert.match(String(s.headers['x-tokengate-token-id']), /^tok_/);
      assert.equal(s.headers.authorization, undefined);
    });

    it('signs bob in through nginx; his session reaches the application as bob', async () => {
      const first = await navigate(`${proxy.url}/app/page?x=1`);
      assert.equal(first.status, 302);
      const { session, location } = await signInThrough(proxy.url, 'bob', first.headers.location ?? '');
      assert.equal(location, `${proxy.url}/app/page?x=1`, 'back on the page first asked for');
      assert.equal(up.seen.length, 0);
      const res = await navigate(location, {
        cookie: `theme=dark; tg_gateway=${session}; lang=en`,
        'x-forwarded-user': 'admin',
      });
      assert.equal(res.status, 200, res.body);
      const s = onlySeen();
      assert.equal(s.url, '/app/page?x=1');
      assert.equal(s.headers['x-forwarded-user'], 'bob', 'the session user, not the client-sent name');
      assert.equal(s.headers['x-tokengate-scope'], 'session');
      assert.equal(s.headers['x-tokengate-token-id'], undefined);
      assert.equal(
        s.headers.cookie,
        'theme=dark; lang=en',
        'the session cookie never reaches the application',
      );
      const alone = await navigate(location, { cookie: `tg_gateway=${session}` });
      assert.equal(alone.status, 200, alone.body);
      assert.equal(
        up.seen.at(-1)?.headers.cookie,
        undefined,
        'no Cookie header when only the session was sent',
      );
      // Sign-out through nginx ends the session.
      const out = await raw(`${proxy.url}/_tokengate/sso/logout`, { cookie: `tg_gateway=${session}` });
      assert.equal(out.status, 302);
      const again = await navigate(location, { cookie: `tg_gateway=${session}` });
      assert.equal(again.status, 302, 'the ended session no longer authenticates');
      assert.equal(again.headers.location, signInUrl(proxy.url, location));
    });
  },
);
