import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium, requireChromium } from './support/browser.js';
import { ADMIN_PASSWORD } from './support/harness.js';
import { startTestNode, type TestNode } from './support/node.js';
import { ensureWebBuild, WAIT_MS } from './support/ui.js';

/**
 * Issue 14, finding 1, in real Chromium: an administrator signed in to the web UI opens a page the
 * proxied application serves (a stored XSS, an uploaded HTML attachment). Its script tries to take
 * over tokengate against the gateway's origin and against the UI's origin; a second run has Basic
 * credentials cached for the gateway's origin. Nothing may be created.
 */

const chromium = requireChromium();
const STEP = { timeout: 120_000 };
const COMPAT = '/rest/de.resolution.apitokenauth/latest/user/token';

/** The attacker's script: every takeover it can try, each result kept for the test to read. */
const EVIL_SCRIPT = `
const admin = new URLSearchParams(location.search).get('admin');
const results = {};
window.__progress = results;
const tryIt = async (name, fn) => {
  results[name] = 'pending';
  try { results[name] = await fn(); } catch (e) { results[name] = 'error: ' + e.name; }
};
const json = { 'content-type': 'application/json' };
const user = (name) => JSON.stringify({ username: name, groups: ['admin'], password: 'backdoor-password-1' });
const steal = async (base, mode) => {
  const s = await fetch(base + '/_tokengate/api/v1/session', { credentials: 'include', mode });
  let csrf = '';
  try { csrf = (await s.json()).csrfToken || ''; } catch {}
  const headers = { ...json, 'x-csrf-token': csrf };
  const u = await fetch(base + '/_tokengate/api/v1/admin/users', { method: 'POST', credentials: 'include', mode, headers, body: user('backdoor-' + mode) });
  const t = await fetch(base + '/_tokengate/api/v1/tokens', { method: 'POST', credentials: 'include', mode, headers, body: JSON.stringify({ description: 'stolen', scope: 'write' }) });
  return [s.status, csrf ? 'csrf' : 'no-csrf', u.status, t.status].join(' ');
};
(async () => {
  await tryIt('gateway origin', () => steal('', 'same-origin'));
  if (admin) {
    await tryIt('admin origin, cors', () => steal(admin, 'cors'));
    await tryIt('admin origin, no-cors', () => steal(admin, 'no-cors'));
    await tryIt('admin origin, text/plain no-cors', async () => {
      const r = await fetch(admin + '/_tokengate/api/v1/admin/users', { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: user('backdoor-plain') });
      return r.type;
    });
  }
  await tryIt('compat API mint', async () => {
    const r = await fetch('${COMPAT}', { method: 'POST', credentials: 'include', headers: json, body: JSON.stringify({ tokenDescription: 'minted by a page', tokenValidityTimeInMonths: 1 }) });
    return String(r.status);
  });
  await tryIt('compat API list', async () => String((await fetch('${COMPAT}', { credentials: 'include' })).status));
  window.__results = results;
})();
`;

/** The proxied application: one uploaded "attachment" with the attacker's script, and what it saw. */
async function startEvilUpstream(): Promise<{ url: string; cookies: string[]; server: Server }> {
  const cookies: string[] = [];
  const server = createServer((req, res) => {
    if (req.headers.cookie) cookies.push(req.headers.cookie);
    req.resume();
    if (req.url?.startsWith('/attachments/evil.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(EVIL_SCRIPT);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>attachment</title><script src="/attachments/evil.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, cookies, server };
}

describe('a page of the proxied application cannot act as the signed-in administrator (Chromium)', () => {
  let up: Awaited<ReturnType<typeof startEvilUpstream>> | null = null;
  let t: TestNode | null = null;
  let browser: Browser | null = null;
  const contexts: BrowserContext[] = [];

  before(async () => {
    if ('skip' in chromium) return;
    ensureWebBuild();
    up = await startEvilUpstream();
    t = await startTestNode(up.url);
    browser = await launchChromium(chromium.path);
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await new Promise<void>((r) => (up ? up.server.close(() => r()) : r()));
  });

  /** Counts of users and of admin's live tokens: what a takeover would raise. */
  const counts = async (node: TestNode) => ({
    users: await node.node.ctx.store.users.count(),
    tokens: await node.node.ctx.store.tokens.countActive('admin', Date.now()),
  });

  /** Opens the attachment; with `admin`, its script also tries the admin listener's origin. */
  const attack = async (
    context: BrowserContext,
    node: TestNode,
    admin: string,
  ): Promise<Record<string, string>> => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => problems.push(m.text()));
    page.on('requestfailed', (r) => problems.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(`${node.url}/attachments/report.html?admin=${encodeURIComponent(admin)}`);
    await page
      .waitForFunction('window.__results !== undefined', null, { timeout: WAIT_MS })
      .catch(async (err: unknown) => {
        const progress = await page.evaluate<unknown>('window.__progress').catch(() => null);
        throw new Error(
          `the page's script did not finish: ${JSON.stringify(progress)} ${problems.join(' | ')}`,
          { cause: err },
        );
      });
    return page.evaluate<Record<string, string>>('window.__results');
  };

  it(
    'signed in to the UI, the admin opens an attachment: its script creates nothing',
    { ...STEP, skip: 'skip' in chromium ? chromium.skip : false },
    async () => {
      assert.ok(browser && t && up);
      const context = await browser.newContext();
      context.setDefaultTimeout(WAIT_MS);
      contexts.push(context);
      const ui = await context.newPage();
      await ui.goto(`${t.adminUrl}/_tokengate/`);
      await ui.getByLabel('User name').fill('admin');
      await ui.getByLabel('Password').fill(ADMIN_PASSWORD);
      await ui.getByTestId('signin-submit').click();
      await ui.getByTestId('current-user').waitFor({ state: 'attached' });
      const cookies = await context.cookies(`${t.adminUrl}/_tokengate/`);
      assert.ok(
        cookies.some((c) => c.name === 'tg_session'),
        'the admin is signed in',
      );
      const before = await counts(t);
      const results = await attack(context, t, t.adminUrl);
      // The gateway's origin has no management plane; the admin origin's answers are unreadable
      // (no CORS) and its writes are refused (Sec-Fetch-Site same-site, no CSRF token).
      assert.match(results['gateway origin'] ?? '', /^404 no-csrf 404 404$/, JSON.stringify(results));
      assert.match(results['admin origin, cors'] ?? '', /^error: TypeError$/, JSON.stringify(results));
      // Opaque answers, or none at all where Chromium's opaque-response blocking drops them: either
      // way the script learns nothing, and the counts below show the writes were refused.
      assert.match(
        results['admin origin, no-cors'] ?? '',
        /^(0 no-csrf 0 0|error: TypeError)$/,
        JSON.stringify(results),
      );
      // A browser's call to the compatibility API is refused before any credential is looked at.
      assert.equal(results['compat API mint'], '403', JSON.stringify(results));
      assert.deepEqual(await counts(t), before, 'nothing was created');
      assert.equal(
        up.cookies.some((c) => c.includes('tg_session')),
        false,
        'the session cookie never reached the upstream',
      );
    },
  );

  it(
    'with Basic credentials cached for the gateway origin, the same script creates nothing either',
    { ...STEP, skip: 'skip' in chromium ? chromium.skip : false },
    async () => {
      assert.ok(browser && t);
      const context = await browser.newContext({
        httpCredentials: { username: 'admin', password: ADMIN_PASSWORD, origin: t.url, send: 'always' },
      });
      context.setDefaultTimeout(WAIT_MS);
      contexts.push(context);
      const before = await counts(t);
      // The cached credentials are the gateway origin's: the admin origin was tried above.
      const results = await attack(context, t, '');
      assert.match(results['gateway origin'] ?? '', /^404 no-csrf 404 404$/, JSON.stringify(results));
      // The compatibility API takes passwords from scripts only: a browser's call is refused.
      assert.equal(results['compat API mint'], '403', JSON.stringify(results));
      assert.equal(results['compat API list'], '403', JSON.stringify(results));
      assert.deepEqual(await counts(t), before, 'nothing was created');
    },
  );
});
