import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { requireCaddy, startCaddy, type CaddyHandle } from './support/caddy.js';
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
import { startEchoUpstream, type SeenRequest } from './support/node.js';
import { freePort } from './support/processes.js';

const caddy = requireCaddy();

/**
 * "Browsers by single sign-on, scripts by token" behind a real Caddy, with the Caddyfile of
 * docs/forward-auth.md read from between its caddy-sso-config markers (only the site address and the
 * ports change; the global options keep Caddy on loopback without admin endpoint or HTTPS) and a
 * real OpenID provider: a browser's navigation is sent to sign in, a script gets 401, a token passes,
 * and the whole sign-in runs through Caddy to a session that reaches the application as its user.
 */
describe(
  'browser sign-in and tokens behind a real Caddy, as docs/forward-auth.md configures it',
  { skip: 'skip' in caddy ? caddy.skip : false },
  () => {
    let up: Awaited<ReturnType<typeof startEchoUpstream>>;
    let backend: SsoBackend;
    let proxy: CaddyHandle;

    before(async () => {
      up = await startEchoUpstream();
      const tokengatePort = await freePort();
      const conf = documentedBlock('caddy-sso-config', 'caddyfile');
      // Caddy first (its port is picked as it starts), tokengate then with Caddy's URL as externalUrl.
      proxy = await startCaddy((port) => {
        let out = replaceExactly(conf, 'app.example.com {', `http://127.0.0.1:${port} {`);
        out = replaceExactly(out, ' 127.0.0.1:8080', ` 127.0.0.1:${tokengatePort}`, 2);
        return replaceExactly(out, 'reverse_proxy 127.0.0.1:3000', `reverse_proxy ${new URL(up.url).host}`);
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

    it("sends a browser's navigation without credentials to sign in, on Caddy's origin (302)", async () => {
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
        assert.match(String(res.headers['www-authenticate']), /Bearer realm="tokengate"/);
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

    it('signs bob in through Caddy; his session reaches the application as bob', async () => {
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
      // Sign-out through Caddy ends the session.
      const out = await raw(`${proxy.url}/_tokengate/sso/logout`, { cookie: `tg_gateway=${session}` });
      assert.equal(out.status, 302);
      const again = await navigate(location, { cookie: `tg_gateway=${session}` });
      assert.equal(again.status, 302, 'the ended session no longer authenticates');
      assert.equal(again.headers.location, signInUrl(proxy.url, location));
    });
  },
);
