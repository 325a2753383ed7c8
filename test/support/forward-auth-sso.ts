import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';

import { CLI_PRINCIPAL } from '../../src/domain/auth/permissions.js';
import { cli, startTestNode, type TestNode } from './node.js';
import {
  OIDC_SECRET_ENV,
  oidcSection,
  signInWithoutBrowser,
  startOidcProvider,
  type TestProvider,
} from './oidc-provider.js';

/**
 * What the "browsers by single sign-on, scripts by token" suites of docs/forward-auth.md share: the
 * documented blocks read from between their markers, a tokengate node with browser sign-in behind a
 * proxy (a real OpenID provider, the proxy's URL as auth.browser.externalUrl), requests with exactly
 * the headers a browser or a script sends, and the whole sign-in through the proxy.
 */

const DOC = fileURLToPath(new URL('../../docs/forward-auth.md', import.meta.url));

/** What Chromium sends as Accept for a page navigation. */
export const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The fenced `lang` block between `<!-- name:start -->` and `<!-- name:end -->` in docs/forward-auth.md. */
export function documentedBlock(name: string, lang: string): string {
  const doc = readFileSync(DOC, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  assert.ok(from >= 0 && to > from, `${DOC} has no ${start} … ${end} section`);
  const fenced = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``).exec(doc.slice(from + start.length, to));
  assert.ok(fenced?.[1] !== undefined, `the ${start} section holds no \`\`\`${lang} block`);
  return fenced[1];
}

/**
 * `from` replaced by `to`, where `from` must occur exactly `times` times: the test fails rather than
 * silently run something other than the documented block.
 */
export function replaceExactly(text: string, from: string, to: string, times = 1): string {
  const count = text.split(from).length - 1;
  assert.equal(count, times, `the documented block should contain "${from}" ${times} time(s)`);
  return text.replaceAll(from, to);
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A GET with exactly these headers (fetch() would add its own Sec-Fetch-Mode: cors). */
export function raw(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A browser's page navigation: Accept with text/html, Sec-Fetch-Mode: navigate. */
export function navigate(url: string, extra: Record<string, string> = {}): Promise<Answer> {
  return raw(url, { accept: HTML, 'sec-fetch-mode': 'navigate', ...extra });
}

/** name → value of the Set-Cookie headers of an answer. */
export function setCookies(headers: IncomingHttpHeaders): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of headers['set-cookie'] ?? []) {
    const [pair = ''] = c.split(';');
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

/** The sign-in URL tokengate sends a browser to, coming back to `target`. */
export function signInUrl(externalUrl: string, target: string): string {
  return `${externalUrl}/_tokengate/sso/login?rd=${encodeURIComponent(target)}`;
}

export interface SsoBackend {
  provider: TestProvider;
  node: TestNode;
  /** alice's write token. */
  token: string;
  close(): Promise<void>;
}

/**
 * A real OpenID provider and a tokengate node on `port` (the gateway's listener, which serves
 * /_tokengate/auth and /_tokengate/sso/) with browser sign-in whose external URL is the proxy's;
 * 127.0.0.1 is a trusted proxy; alice has a write token.
 */
export async function startSsoBackend(port: number, externalUrl: string): Promise<SsoBackend> {
  const provider = await startOidcProvider({
    redirectUris: [`${externalUrl}/_tokengate/sso/callback`],
    postLogoutRedirectUris: [`${externalUrl}/_tokengate/sso/signed-out`],
  });
  process.env[OIDC_SECRET_ENV] = provider.clientSecret;
  let node: TestNode;
  try {
    node = await startTestNode(null, (c) => {
      c.port = port;
      // The admin UI is not used; its callback is registered nowhere.
      c.identity.oidc = oidcSection(provider, 'http://127.0.0.1:9');
      c.auth.browser = {
        provider: 'oidc',
        externalUrl,
        allowedRedirectHosts: [],
        sessionHours: 8,
        allowedGroups: [],
      };
    });
  } catch (err) {
    await provider.close();
    throw err;
  }
  await node.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
  await node.node.ctx.users.create(CLI_PRINCIPAL, cli, {
    username: 'alice',
    groups: ['dev'],
    password: 'alice-password',
  });
  const { token } = await node.tokenFor('alice', { description: 'deploy job', scope: 'write' });
  return {
    provider,
    node,
    token,
    close: async () => {
      await node.close();
      await provider.close();
    },
  };
}

/**
 * The whole sign-in of `user` through the proxy at `externalUrl`: its login route, the provider's
 * pages (plain HTTP), its callback. Returns the session cookie and where the browser is sent then.
 */
export async function signInThrough(
  externalUrl: string,
  user: string,
  loginUrl: string,
): Promise<{ session: string; location: string }> {
  assert.ok(loginUrl.startsWith(`${externalUrl}/_tokengate/sso/login?`), loginUrl);
  const start = await navigate(loginUrl);
  assert.equal(start.status, 302, start.body);
  const pending = setCookies(start.headers).get('tg_sso_pending');
  assert.ok(pending, 'the pending sign-in is in a cookie');
  const back = await signInWithoutBrowser(
    start.headers.location ?? '',
    user,
    `${externalUrl}/_tokengate/sso/callback`,
  );
  const res = await navigate(back, { cookie: `tg_sso_pending=${pending}` });
  assert.equal(res.status, 302, res.body);
  const session = setCookies(res.headers).get('tg_gateway');
  assert.ok(session, 'a gateway session cookie is set');
  return { session, location: res.headers.location ?? '' };
}
