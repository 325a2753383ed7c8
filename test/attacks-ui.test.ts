import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { auditCsvRow } from '../src/audit/export.js';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { systemContext } from '../src/services/context.js';
import { ADMIN_PASSWORD, basic, call, harness, type Harness } from './support/harness.js';
import { ensureWebBuild, WEB_INDEX } from './support/ui.js';
import { csvCells, FORMULAS, XSS } from './support/ui-attacks.js';

/**
 * The web UI under attack: cross-site request forgery, the session cookie's flags, the
 * Content-Security-Policy, stored XSS in token descriptions and user names (in real Chromium), and
 * formula injection in the CSV export.
 */

const cliCtx = systemContext('@cli');

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
