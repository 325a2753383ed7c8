import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseAuthorization } from '../src/domain/auth/credentials.js';
import { classify } from '../src/domain/auth/decide.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { BODY_LENGTH, checksum, generateToken } from '../src/domain/token/format.js';
import { recordAuthorization, recordSecret } from './support/artifacts.js';
import { call, harness, type Harness } from './support/harness.js';
import {
  authLines,
  basicAuth,
  cli,
  startEchoUpstream,
  startTestNode,
  type TestNode,
} from './support/node.js';

import { B64, FOREIGN, PASSWORD, READERS, SPELLINGS, USER } from './support/auth-spellings.js';

/**
 * Issue 14, finding 3: tokengate and the upstream must agree on what credentials a request carries.
 * `Basic<TAB>base64(user:password)` was "no credentials" to tokengate, so with auth.basicPasswords off
 * it reached the upstream unchanged (and the IP allow-list did not apply), where Spring Security's
 * Basic converter (`startsWithIgnoreCase("Basic")`, then `substring(6)`) logged the user in.
 *
 * The principle now: whatever ANY common parser would read as Basic or Bearer is ours. The clean form
 * (`Basic`/`Bearer`, one or more spaces, the value) is parsed; every other spelling is refused as
 * malformed (401) and never forwarded. Other schemes (Digest, NTLM, Negotiate, unknown) are credentials
 * for the upstream, password-equivalent: refused while auth.basicPasswords is off, and under the IP
 * allow-list while it is on, as a foreign Bearer value is.
 *
 * Also found: a near-token (this installation's `<prefix>_`, but a wrong checksum or length: a typo) is
 * refused as a malformed token instead of being passed on as a password; and the log line's user
 * column of a failure is `anonymous`, never the attacker-chosen Basic user name.
 *
 * The table of spellings is in test/support/auth-spellings.ts.
 */

/** One request with the Authorization value written byte for byte (Latin-1), as a raw client would. */
function send(
  base: string,
  path: string,
  authorization: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', headers: { ...headers, authorization, connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A near-token: a real token of ours with its last (checksum) character changed. */
function typo(token: string): string {
  const last = token.endsWith('A') ? 'B' : 'A';
  return token.slice(0, -1) + last;
}

describe('auth scheme spellings: the table', () => {
  it('lists each spelling once, with a reader for every Basic/Bearer one', () => {
    assert.equal(new Set(SPELLINGS.map((s) => s.name)).size, SPELLINGS.length);
    for (const s of SPELLINGS) {
      assert.ok(s.readBy.length > 0, s.name);
      for (const r of s.readBy) assert.ok(READERS[r].length > 0);
    }
  });

  for (const s of SPELLINGS) {
    it(`${s.name}: read by ${s.readBy.join(', ')} → tokengate: ${s.now} (was ${s.before})`, () => {
      const c = parseAuthorization(s.header);
      assert.equal(c.kind, s.now, `${JSON.stringify(s.header)} → ${JSON.stringify(c)}`);
      // Whatever any parser reads as Basic or Bearer is never "no credentials" to tokengate.
      if (!s.readBy.includes('none')) assert.notEqual(c.kind, 'none');
    });
  }

  it('a spelling that is not the clean form is never classified as a password or a foreign Bearer', () => {
    const prefixes = new Set(['tgp']);
    for (const s of SPELLINGS.filter((x) => x.now === 'malformed')) {
      assert.equal(classify(parseAuthorization(s.header), prefixes).kind, 'malformed', s.name);
    }
  });
});

describe('auth scheme spellings against a running gateway', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let mark = 0;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice', groups: ['dev'] });
  });
  after(async () => {
    await t.close();
    await up.close();
  });
  beforeEach(() => {
    up.seen.length = 0;
    mark = t.lines.length;
  });

  const newLines = async (): Promise<string[]> => {
    await t.node.logs.flush();
    return authLines(t.lines.slice(mark));
  };

  const notClean = SPELLINGS.filter((s) => s.overHttp && s.now === 'malformed');
  const others = SPELLINGS.filter((s) => s.overHttp && s.now === 'other');

  it('passwords off: every non-clean Basic/Bearer spelling gets 401 and never reaches the upstream', async () => {
    await t.settings({ 'auth.basicPasswords': false, 'auth.allowedIps': [] });
    for (const s of notClean) {
      const r = await send(t.url, '/rest/api/2/myself', s.header);
      assert.equal(r.status, 401, `${s.name}: ${r.body}`);
      assert.match(r.body, /malformed/i, s.name);
    }
    assert.deepEqual(
      up.seen.map((x) => x.headers.authorization),
      [],
      'nothing reached the upstream',
    );
  });

  it('passwords off: Digest, NTLM, Negotiate and unknown schemes are refused like a password (401)', async () => {
    await t.settings({ 'auth.basicPasswords': false, 'auth.allowedIps': [] });
    for (const s of others) {
      const r = await send(t.url, '/x', s.header);
      assert.equal(r.status, 401, `${s.name}: ${r.body}`);
    }
    assert.equal(up.seen.length, 0);
  });

  it('passwords on, client outside auth.allowedIps: odd spellings get 401, other schemes 403; none is forwarded', async () => {
    await t.settings({ 'auth.basicPasswords': true, 'auth.allowedIps': ['10.0.0.0/8'] });
    try {
      // The control: the clean spelling of the same password is under the allow-list.
      assert.equal((await send(t.url, '/x', `Basic ${B64}`)).status, 403);
      for (const s of notClean) assert.equal((await send(t.url, '/x', s.header)).status, 401, s.name);
      for (const s of others) assert.equal((await send(t.url, '/x', s.header)).status, 403, s.name);
      assert.equal(up.seen.length, 0);
    } finally {
      await t.settings({ 'auth.allowedIps': [] });
    }
  });

  it('forward-auth agrees: /_tokengate/auth refuses the same spellings with passwords off', async () => {
    await t.settings({ 'auth.basicPasswords': false, 'auth.allowedIps': [] });
    for (const s of [...notClean, ...others]) {
      assert.equal((await send(t.url, '/_tokengate/auth', s.header)).status, 401, s.name);
    }
  });

  it('passwords on: a near-token (typo in the checksum, or truncated) is a malformed token: 401, not forwarded', async () => {
    await t.settings({ 'auth.basicPasswords': true, 'auth.allowedIps': [] });
    const { token } = await t.tokenFor('alice', { description: 'typo target' });
    const near = typo(token);
    recordSecret('token', near);
    const truncated = token.slice(0, -1);
    recordSecret('token', truncated);
    const longer = `${token}x`;
    recordSecret('token', longer);
    for (const secret of [near, truncated, longer]) {
      for (const header of [`Bearer ${secret}`, basicAuth('alice', secret)]) {
        recordAuthorization(header);
        const r = await send(t.url, '/x', header);
        assert.equal(r.status, 401, `${header.slice(0, 12)}…: ${r.body}`);
        assert.match(r.body, /malformed token/i);
      }
    }
    assert.equal(up.seen.length, 0, 'a near-token never reaches the upstream');
    const lines = await newLines();
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.doesNotMatch(line, /regular password/);
      assert.match(line, /malformed token/i);
    }
  });

  it('passwords on: real passwords and foreign Bearer values (another prefix too) are still passed on', async () => {
    await t.settings({ 'auth.basicPasswords': true, 'auth.allowedIps': [] });
    const ghp = `ghp_${'A'.repeat(30)}${checksum('A'.repeat(30))}`;
    recordSecret('token', ghp);
    for (const header of [`Basic ${B64}`, `Bearer ${FOREIGN}`, `Bearer ${ghp}`]) {
      recordAuthorization(header);
      assert.equal((await send(t.url, '/x', header)).status, 200, header.slice(0, 12));
    }
    assert.equal(up.seen.length, 3);
  });

  it('the user column of a failure is anonymous; the claimed user name stays in the message', async () => {
    await t.settings({ 'auth.basicPasswords': false, 'auth.allowedIps': [] });
    const r = await send(t.url, '/rest/api/2/myself', basicAuth(USER, PASSWORD));
    assert.equal(r.status, 401);
    const unknown = `tgp_${'B'.repeat(30)}${checksum('B'.repeat(30))}`;
    recordSecret('token', unknown);
    assert.equal((await send(t.url, '/y', basicAuth(USER, unknown))).status, 401);
    const lines = await newLines();
    assert.equal(lines.length, 2, lines.join('\n'));
    for (const line of lines) {
      assert.match(line, / INFO anonymous \S+ - 127\.0\.0\.1 \//, line);
      assert.match(line, /Token verification for user mallory failed/);
    }
  });

  it('the user column of a password passed on is anonymous too: tokengate authenticated nobody', async () => {
    await t.settings({ 'auth.basicPasswords': true, 'auth.allowedIps': [] });
    assert.equal((await send(t.url, '/z', basicAuth(USER, PASSWORD))).status, 200);
    const [line] = await newLines();
    assert.match(
      line ?? '',
      / INFO anonymous \S+ - 127\.0\.0\.1 \/z \[auth\] User mallory presented a regular password/,
    );
  });
});

describe('auth scheme spellings against the management API: it agrees with the gateway', () => {
  let h: Harness;
  let token = '';

  before(async () => {
    h = await harness();
    await h.addUser('alice', ['dev']);
    token = (await h.tokenFor('alice')).token;
  });
  after(() => h.close());

  it('refuses every non-clean spelling and every other scheme with 401', async () => {
    for (const s of SPELLINGS.filter((x) => x.now === 'malformed' || x.now === 'other')) {
      const r = await call(h.api, { method: 'GET', url: '/me', headers: { authorization: s.header } });
      assert.equal(r.statusCode, 401, `${s.name}: ${r.body}`);
    }
  });

  it('refuses a near-token as a malformed token, without counting it as a password guess', async () => {
    for (const secret of [typo(token), token.slice(0, -1)]) {
      recordSecret('token', secret);
      for (const header of [
        `Bearer ${secret}`,
        `Basic ${Buffer.from(`alice:${secret}`).toString('base64')}`,
      ]) {
        recordAuthorization(header);
        const r = await call(h.api, { method: 'GET', url: '/me', headers: { authorization: header } });
        assert.equal(r.statusCode, 401, r.body);
        assert.match(r.body, /malformed token/i);
      }
    }
    // The token itself still works.
    const ok = await call(h.api, {
      method: 'GET',
      url: '/me',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it(`a near-token is judged by this installation's prefix and the body length (${BODY_LENGTH})`, () => {
    const prefixes = new Set(['tgp']);
    const real = generateToken();
    assert.equal(classify({ kind: 'bearer', secret: real }, prefixes).kind, 'token');
    assert.equal(classify({ kind: 'bearer', secret: typo(real) }, prefixes).kind, 'malformed');
    assert.equal(classify({ kind: 'basic', username: 'a', secret: typo(real) }, prefixes).kind, 'malformed');
    // Another installation's prefix is not ours to judge: a foreign value.
    assert.equal(
      classify({ kind: 'bearer', secret: `ghp_${typo(real).slice(4)}` }, prefixes).kind,
      'foreign-bearer',
    );
    assert.equal(classify({ kind: 'basic', username: 'a', secret: 'hunter2' }, prefixes).kind, 'password');
  });
});
