import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { createTokengate, type Tokengate } from '../src/middleware/index.js';
import { recordSecret } from './support/artifacts.js';
import { bearer } from './support/harness.js';
import { cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Red team, round two: RFC 6750 lets a Bearer token travel in an `access_token` query parameter
 * (§2.3), and GitLab reads `private_token` the same way. With `auth.basicPasswords=false` a foreign
 * value there reached the upstream (200) where the same value in `Authorization: Bearer` got 401, and
 * `auth.allowedIps` did not apply to it. Now a query credential is judged like the Bearer it is: a
 * foreign value like a foreign Bearer, a tokengate token refused outright (401: tokens never go in
 * URLs, which get logged). Form bodies are not read (docs/gateway.md says why).
 */

/** A value that is not ours: the upstream's own OAuth token, say. */
const FOREIGN = 'ya29.upstream-oauth-value';

describe('RFC 6750 query carriers (access_token, private_token) are credentials', () => {
  let t: TestNode;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let token: string;

  before(async () => {
    recordSecret('token', FOREIGN);
    upstream = await startEchoUpstream();
    t = await startTestNode(upstream.url);
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1/32'] });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'gina', groups: ['dev'] });
    token = (await t.tokenFor('gina', { scope: 'write' })).token;
    recordSecret('token', token);
  });
  after(async () => {
    await t?.close();
    await upstream?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${t.url}${path}`, { headers });

  const refused = async (r: Response, status: number, what: string, before: number): Promise<string> => {
    const text = await r.text();
    assert.equal(r.status, status, `${what}: ${text}`);
    assert.equal(upstream.seen.length, before, `${what} reached the upstream`);
    return text;
  };

  it('passwords off: a foreign access_token or private_token is refused like a foreign Bearer (401)', async () => {
    await t.settings({ 'auth.basicPasswords': false, 'auth.allowedIps': [] });
    const header = await get('/p', { authorization: bearer(FOREIGN) });
    assert.equal(header.status, 401, 'the same value in Authorization');
    for (const q of [
      `access_token=${FOREIGN}`,
      `private_token=${FOREIGN}`,
      `x=1&access_token=${FOREIGN}`,
      `access%5ftoken=${FOREIGN}`,
      `access.token=${FOREIGN}`,
      `a=1;private_token=${FOREIGN}`,
    ]) {
      const before = upstream.seen.length;
      await refused(await get(`/p?${q}`), 401, q, before);
    }
  });

  it('passwords off: a token in Authorization with a foreign access_token beside it is refused too', async () => {
    await t.settings({ 'auth.basicPasswords': false, 'auth.allowedIps': [] });
    const before = upstream.seen.length;
    await refused(
      await get(`/p?access_token=${FOREIGN}`, { authorization: bearer(token) }),
      401,
      'token + foreign access_token',
      before,
    );
    const ok = await get('/p', { authorization: bearer(token) });
    assert.equal(ok.status, 200, await ok.text());
  });

  it('a tokengate token in the URL is refused (401) and told to use the Authorization header', async () => {
    for (const passwords of [true, false]) {
      await t.settings({ 'auth.basicPasswords': passwords, 'auth.allowedIps': [] });
      for (const q of [`access_token=${token}`, `private_token=${token}`]) {
        const before = upstream.seen.length;
        const text = await refused(
          await get(`/p?${q}`),
          401,
          `${q.split('=')[0]} (passwords ${passwords})`,
          before,
        );
        assert.match(text, /sent in the URL.*Authorization header/);
        assert.doesNotMatch(text, new RegExp(token));
        const both = await get(`/p?${q}`, { authorization: bearer(token) });
        assert.equal(both.status, 401, 'also beside a valid Authorization header');
      }
    }
    assert.ok(
      t.lines.every((l) => !l.includes(token)),
      'no log line carries the token',
    );
  });

  it('passwords on: auth.allowedIps applies to a foreign access_token; inside the list it is passed on', async () => {
    await t.settings({ 'auth.basicPasswords': true, 'auth.allowedIps': ['10.0.0.0/8'] });
    const before = upstream.seen.length;
    await refused(await get(`/p?access_token=${FOREIGN}`), 403, 'outside auth.allowedIps', before);
    await t.settings({ 'auth.basicPasswords': true, 'auth.allowedIps': [] });
    const ok = await get(`/p?access_token=${FOREIGN}`);
    assert.equal(ok.status, 200, await ok.text());
  });

  it('requireAuthentication on: a foreign access_token is refused (401)', async () => {
    await t.settings({
      'auth.basicPasswords': true,
      'auth.requireAuthentication': true,
      'auth.allowedIps': [],
    });
    try {
      const before = upstream.seen.length;
      await refused(await get(`/p?access_token=${FOREIGN}`), 401, 'requireAuthentication', before);
    } finally {
      await t.settings({ 'auth.requireAuthentication': false });
    }
  });

  it('an empty access_token is no credential; unrelated parameters pass', async () => {
    await t.settings({ 'auth.basicPasswords': false, 'auth.allowedIps': [] });
    for (const q of ['access_token=', 'my_access_token=x', 'token=x']) {
      const r = await get(`/p?${q}`);
      assert.equal(r.status, 200, `${q}: ${await r.text()}`);
    }
  });

  it('forward-auth: the query in X-Forwarded-Uri is judged the same way', async () => {
    await t.settings({ 'auth.basicPasswords': false, 'auth.allowedIps': [] });
    const f = await get('/_tokengate/auth', {
      'x-forwarded-method': 'GET',
      'x-forwarded-uri': `/p?access_token=${FOREIGN}`,
    });
    assert.equal(f.status, 401, await f.text());
    const own = await get('/_tokengate/auth', {
      'x-forwarded-method': 'GET',
      'x-forwarded-uri': `/p?private_token=${token}`,
    });
    assert.equal(own.status, 401, await own.text());
  });

  it('a form body access_token is not read (documented): the body is never parsed for credentials', async () => {
    await t.settings({ 'auth.basicPasswords': true, 'auth.allowedIps': [] });
    const r = await fetch(`${t.url}/p`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${FOREIGN}`,
    });
    assert.equal(r.status, 200, await r.text());
  });

  describe('middleware', () => {
    let dir: string;
    let tg: Tokengate;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tg-mw-carriers-'));
      tg = await createTokengate({ dataDir: dir, nodeId: 'carriers-node', show: () => undefined });
      await tg.runtime.ctx.settings.update(CLI_PRINCIPAL, cli, { 'auth.basicPasswords': false });
    });
    after(async () => {
      await tg?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a foreign access_token while passwords are off', async () => {
      const r = await tg.authenticate({
        method: 'GET',
        url: `/p?access_token=${FOREIGN}`,
        headers: {},
        socket: { remoteAddress: '127.0.0.1' },
      });
      assert.equal(r.allowed, false);
      assert.equal(r.status, 401);
    });
  });
});
