import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';

import {
  documentedBlock,
  HTML,
  raw,
  setCookies,
  signInUrl,
  startSsoBackend,
  type Answer,
  type SsoBackend,
} from './support/forward-auth-sso.js';
import { signInWithoutBrowser } from './support/oidc-provider.js';
import { freePort } from './support/processes.js';

/**
 * The Traefik block of docs/forward-auth.md's "Browsers by single sign-on, scripts by token": Traefik
 * cannot run here, so the block is checked, not run. The test parses it, checks what it must say (the
 * forward-auth address, the request and response headers, the router that sends /_tokengate/sso/ to
 * tokengate without the middleware), and then replays Traefik's documented ForwardAuth contract
 * against a real tokengate, driven by the parsed block: only the headers `authRequestHeaders` names
 * are copied from the client, Traefik adds X-Forwarded-Method, -Proto, -Host, -Uri and -For, any
 * answer but 2xx goes to the client as it is, and on 2xx the `authResponseHeaders` are set on the
 * request for the application (replacing the client's own).
 */

const DOCUMENTED_TOKENGATE = '127.0.0.1:8080';
const HOST = 'app.example.com';
const EXTERNAL = `http://${HOST}`;

interface ForwardAuth {
  address: string;
  trustForwardHeader: boolean;
  authRequestHeaders: string[];
  authResponseHeaders: string[];
}
interface Router {
  rule: string;
  service: string;
  middlewares?: string[];
}
interface Dynamic {
  http: {
    middlewares: Record<string, { forwardAuth?: ForwardAuth }>;
    routers: Record<string, Router>;
    services: Record<string, { loadBalancer: { servers: Array<{ url: string }> } }>;
  };
}

/** Where a replayed request ended: at the application (with the headers it got), or answered by the proxy. */
type Outcome = { to: 'app'; headers: Record<string, string> } | { to: 'client'; answer: Answer };

describe('the documented Traefik block for browser sign-in (checked, not run)', () => {
  const config = parse(documentedBlock('traefik-sso-config', 'yaml')) as Dynamic;
  const { middlewares, routers, services } = config.http;
  const auth = middlewares.tokengate?.forwardAuth;
  let backend: SsoBackend;
  let tokengate: string;

  before(async () => {
    const port = await freePort();
    tokengate = `127.0.0.1:${port}`;
    backend = await startSsoBackend(port, EXTERNAL);
  });
  after(async () => {
    await backend?.close();
  });

  const ssoRouter = (): [string, Router] | undefined =>
    Object.entries(routers).find(([, r]) => r.rule.includes('PathPrefix(`/_tokengate/sso/`)'));

  /** The request Traefik would make of tokengate for a client's request, and what follows from its answer. */
  async function throughTraefik(pathAndQuery: string, client: Record<string, string>): Promise<Outcome> {
    assert.ok(auth);
    const sso = ssoRouter();
    assert.ok(sso);
    const service = services[sso[1].service]?.loadBalancer.servers[0]?.url ?? '';
    if (pathAndQuery.startsWith('/_tokengate/sso/')) {
      // The router without middleware: tokengate's own route, as Traefik's proxy sends it.
      const url = service.replace(DOCUMENTED_TOKENGATE, tokengate) + pathAndQuery;
      const answer = await raw(url, { ...client, 'x-forwarded-for': '203.0.113.7' });
      return { to: 'client', answer };
    }
    const allowed = new Set(auth.authRequestHeaders.map((h) => h.toLowerCase()));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(client)) {
      if (allowed.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    Object.assign(headers, {
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': HOST,
      'x-forwarded-uri': pathAndQuery,
      'x-forwarded-for': '203.0.113.7',
    });
    const answer = await raw(auth.address.replace(DOCUMENTED_TOKENGATE, tokengate), headers);
    if (answer.status < 200 || answer.status > 299) return { to: 'client', answer };
    // Traefik replaces the client's headers of these names, and removes them when tokengate sent none.
    const replaced = new Set(auth.authResponseHeaders.map((h) => h.toLowerCase()));
    const app = Object.fromEntries(Object.entries(client).filter(([name]) => !replaced.has(name)));
    for (const name of replaced) {
      const v = answer.headers[name];
      if (typeof v === 'string') app[name] = v;
    }
    return { to: 'app', headers: app };
  }

  const answered = (o: Outcome): Answer => {
    assert.equal(o.to, 'client', 'Traefik answers the client itself');
    return (o as { answer: Answer }).answer;
  };
  const forwarded = (o: Outcome): Record<string, string> => {
    assert.equal(o.to, 'app', `the request reaches the application: ${JSON.stringify(o)}`);
    return (o as { headers: Record<string, string> }).headers;
  };

  it("names tokengate's forward-auth address, the headers both ways and the sign-in router", () => {
    assert.ok(auth, 'a forwardAuth middleware named tokengate');
    assert.equal(auth.address, `http://${DOCUMENTED_TOKENGATE}/_tokengate/auth`);
    assert.equal(auth.trustForwardHeader, false);
    for (const h of ['Authorization', 'Cookie', 'Accept', 'Sec-Fetch-Mode', 'X-Requested-With']) {
      assert.ok(auth.authRequestHeaders.includes(h), `authRequestHeaders names ${h}`);
    }
    assert.ok(!auth.authRequestHeaders.some((h) => /^x-original-/i.test(h)), 'no X-Original-* from clients');
    assert.deepEqual([...auth.authResponseHeaders].sort(), [
      'Cookie',
      'X-Forwarded-User',
      'X-Tokengate-Scope',
      'X-Tokengate-Token-Id',
    ]);
    const sso = ssoRouter();
    assert.ok(sso, 'a router for PathPrefix(`/_tokengate/sso/`)');
    assert.equal(sso[1].middlewares, undefined, 'the sign-in routes are not behind the middleware');
    assert.equal(services[sso[1].service]?.loadBalancer.servers[0]?.url, `http://${DOCUMENTED_TOKENGATE}`);
    assert.ok(sso[1].rule.includes(`Host(\`${HOST}\`)`));
    const app = Object.entries(routers).find(([name]) => name !== sso[0]);
    assert.deepEqual(app?.[1].middlewares, ['tokengate'], "the application's router uses the middleware");
  });

  it("sends a browser's navigation without credentials to sign in (302, handed to the client)", async () => {
    const res = answered(
      await throughTraefik('/app/page?x=1', { accept: HTML, 'sec-fetch-mode': 'navigate', host: HOST }),
    );
    assert.equal(res.status, 302, res.body);
    assert.equal(res.headers.location, signInUrl(EXTERNAL, `${EXTERNAL}/app/page?x=1`));
  });

  it('answers a script without credentials 401 with the challenge', async () => {
    for (const client of <Array<Record<string, string>>>[
      { accept: 'application/json' },
      { accept: '*/*' },
      { accept: HTML, 'sec-fetch-mode': 'cors' },
      { accept: HTML, 'x-requested-with': 'XMLHttpRequest' },
    ]) {
      const res = answered(await throughTraefik('/api/x', client));
      assert.equal(res.status, 401, JSON.stringify(client));
      assert.equal(res.headers.location, undefined);
      assert.match(String(res.headers['www-authenticate']), /Bearer realm="tokengate"/);
    }
  });

  it('passes a Bearer token with the identity headers', async () => {
    const app = forwarded(
      await throughTraefik('/api/x', {
        accept: 'application/json',
        authorization: `Bearer ${backend.token}`,
        'x-forwarded-user': 'admin',
      }),
    );
    assert.equal(app['x-forwarded-user'], 'alice');
    assert.equal(app['x-tokengate-scope'], 'write');
    assert.match(app['x-tokengate-token-id'] ?? '', /^tok_/);
  });

  it('signs bob in through the sign-in router; his session passes with the identity headers', async () => {
    const first = answered(
      await throughTraefik('/app/page?x=1', { accept: HTML, 'sec-fetch-mode': 'navigate' }),
    );
    const login = new URL(first.headers.location ?? '');
    assert.equal(login.origin, EXTERNAL);
    const start = answered(await throughTraefik(login.pathname + login.search, { accept: HTML }));
    assert.equal(start.status, 302, start.body);
    const pending = setCookies(start.headers).get('tg_sso_pending');
    assert.ok(pending);
    const back = new URL(
      await signInWithoutBrowser(start.headers.location ?? '', 'bob', `${EXTERNAL}/_tokengate/sso/callback`),
    );
    const done = answered(
      await throughTraefik(back.pathname + back.search, {
        accept: HTML,
        cookie: `tg_sso_pending=${pending}`,
      }),
    );
    assert.equal(done.status, 302, done.body);
    assert.equal(done.headers.location, `${EXTERNAL}/app/page?x=1`, 'back on the page first asked for');
    const session = setCookies(done.headers).get('tg_gateway');
    assert.ok(session);
    const app = forwarded(
      await throughTraefik('/app/page?x=1', {
        accept: HTML,
        'sec-fetch-mode': 'navigate',
        cookie: `theme=dark; tg_gateway=${session}`,
        'x-forwarded-user': 'admin',
        'x-tokengate-token-id': 'tok_planted',
      }),
    );
    assert.equal(app['x-forwarded-user'], 'bob');
    assert.equal(app['x-tokengate-scope'], 'session');
    assert.equal(app['x-tokengate-token-id'], undefined, "the client's own header is removed");
    assert.equal(app.cookie, 'theme=dark', 'the session cookie never reaches the application');
  });
});
