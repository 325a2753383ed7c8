import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { checksum } from '../src/domain/token/format.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Secrets, on purpose: one node is sent its tokens and passwords every wrong way a client can send
 * them (a token as the Basic user name, in the URL path and query, in X-Request-Id and identity
 * headers, in malformed Authorization headers; wrong passwords at the management API and the sign-in),
 * with every audit event on and the auth loggers at INFO. Then its log file, its audit records, every
 * error body it answered and its metrics are searched for each secret in every form it was sent.
 */

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A well-formed token (valid checksum) one character away from a real one: a near miss. */
function forge(token: string): string {
  const random = token.slice(4, 33) + (token.charAt(33) === 'A' ? 'B' : 'A');
  return `tgp_${random}${checksum(random)}`;
}

/** A raw request: header names and values exactly as given, several lines per name if repeated. */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Array<[string, string]>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const lines: string[] = ['Host', new URL(base).host];
    for (const [k, v] of headers) lines.push(k, v);
    if (body !== undefined)
      lines.push('content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)));
    const req = request(`${base}${path}`, { method, headers: lines }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('no secret reaches the log, the audit log, an error body or the metrics', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let token: string;
  let other: string;
  let adminToken: string;
  const PASSWORD = 'vera-password-1';
  const WRONG = 'vera-wrong-guess-77';
  const errorBodies: string[] = [];
  /** Every secret, in every form it was sent. */
  const secrets = new Set<string>();

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
      username: 'vera',
      groups: ['admin'],
      password: PASSWORD,
    });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'walt' });
    token = (await t.tokenFor('vera', { description: 'vera main' })).token;
    other = (await t.tokenFor('walt', { description: 'walt main' })).token;
    adminToken = (await t.tokenFor('admin', { description: 'metrics scraper' })).token;
    await t.settings({
      'audit.events.authSuccess': true,
      'audit.events.authFailedToken': true,
      'audit.events.authFailedVerification': true,
      'audit.events.permissionDenied': true,
      'audit.events.rateLimited': true,
      'log.levels': { root: 'DEBUG', auth: 'TRACE', ratelimit: 'TRACE' },
      'bruteForce.ipMaxFailures': 1000,
      'bruteForce.userMaxFailures': 2,
    });
    for (const s of [token, other, adminToken, PASSWORD, WRONG, 'admin-password-1'])
      for (const form of [s, b64(s), encodeURIComponent(s)]) secrets.add(form);
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  const send = async (
    method: string,
    path: string,
    headers: Array<[string, string]>,
    body?: string,
  ): Promise<number> => {
    // The management API and sign-in are the admin listener's; the rest is the gateway's.
    const base = path.startsWith('/_tokengate/api/') ? t.adminUrl : t.url;
    const r = await raw(base, method, path, headers, body);
    if (r.status >= 400) errorBodies.push(r.body);
    return r.status;
  };
  const auth = (value: string): Array<[string, string]> => {
    secrets.add(value);
    const basic = /^Basic (.+)$/.exec(value);
    if (basic?.[1]) secrets.add(basic[1]);
    return [['authorization', value]];
  };

  it('exercises the leaky paths', async () => {
    const api = '/_tokengate/api/v1';
    const statuses: number[] = [];
    const go = async (...a: Parameters<typeof send>) => statuses.push(await send(...a));
    // A token as the Basic user name, with a password and with another token.
    await go('GET', '/app', auth(basicAuth(token, 'some-password-1')));
    await go('GET', '/app', auth(basicAuth(token, other)));
    await go('GET', `${api}/me`, auth(basicAuth(token, 'some-password-1')));
    await go('POST', `${api}/session`, [], JSON.stringify({ username: token, password: 'some-password-1' }));
    // A token in the URL: query and path, at the gateway, forward-auth and the API.
    await go('GET', `/app?access_token=${token}`, []);
    await go('GET', `/app/${token}/x`, auth(`Bearer ${other}`));
    await go('GET', `/app/${token}`, auth(`Bearer ${forge(token)}`));
    await go('GET', `/_tokengate/auth?t=${token}`, [['x-original-uri', `/app/${token}?q=${token}`]]);
    await go('GET', `${api}/nope?x=${token}`, auth(`Bearer ${token}`));
    // A token in other headers: the request id, identity headers, a custom one.
    await go('GET', '/app', [['x-request-id', token], ...auth(`Bearer ${token}`)]);
    await go('GET', '/app', [['x-request-id', token], ...auth(`Bearer ${forge(token)}`)]);
    await go('GET', `${api}/me`, [['x-request-id', token], ...auth(`Bearer ${token}`)]);
    await go('GET', '/app', [
      ['x-forwarded-user', token],
      ['x-tokengate-token-id', other],
    ]);
    // Wrong passwords: the management API, the sign-in (twice: the second starts a user block), and the
    // gateway with passwords turned off.
    await go('GET', `${api}/me`, auth(basicAuth('vera', WRONG)));
    await go('POST', `${api}/session`, [], JSON.stringify({ username: 'vera', password: WRONG }));
    await go('POST', `${api}/session`, [], JSON.stringify({ username: 'vera', password: WRONG }));
    await t.settings({ 'auth.basicPasswords': false });
    await go('GET', '/app', auth(basicAuth('vera', PASSWORD)));
    await t.settings({ 'auth.basicPasswords': true });
    // Malformed Authorization headers that carry a secret.
    for (const value of [
      `Bearer ${token} extra`,
      `Bearer  ${token}`,
      `Basic ${b64(token)}`,
      `Basic ${token}`,
      `bearer ${token}`,
      `BASIC ${b64(`vera:${PASSWORD}`)}`,
      `Basic ${b64(`vera:${PASSWORD}`)}=`,
      token,
      `Token ${token}`,
      `Bearer ${token}\u00e9`,
      `Bearer ${'x'.repeat(9000)}${token}`,
    ]) {
      await go('GET', '/app', auth(value));
      await go('GET', `${api}/me`, auth(value));
    }
    await go('GET', '/app', [...auth(`Bearer ${token}`), ['authorization', `Bearer ${other}`]]);
    // Read token writing, and a rate limit, for the remaining audit events.
    const read = (await t.tokenFor('vera', { scope: 'read', rateLimit: { requests: 1, windowSeconds: 600 } }))
      .token;
    for (const f of [read, b64(read)]) secrets.add(f);
    await go('POST', '/app', auth(`Bearer ${read}`));
    await go('GET', '/app', auth(`Bearer ${read}`));
    await go('GET', '/app', auth(`Bearer ${read}`));
    // Sanity: the node answered all of this, with refusals among it.
    assert.ok(statuses.filter((s) => s === 401).length >= 5, statuses.join(','));
    assert.ok(
      statuses.some((s) => s === 429),
      'the user block and the rate limit',
    );
    assert.ok(
      statuses.every((s) => s < 500),
      statuses.join(','),
    );
  });

  it('finds none of them in the log file, the audit records, the error bodies or the metrics', async () => {
    await t.node.runtime.auditQueue.flush();
    const audit = await t.node.ctx.store.audit.search({}, 10_000);
    const metrics = await fetch(`${t.adminUrl}/_tokengate/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(metrics.status, 200);
    await t.node.logs.flush();
    const logDir = t.node.ctx.config.log.dir;
    const logText = readdirSync(logDir)
      .map((f) => readFileSync(join(logDir, f), 'utf8'))
      .join('\n');
    const artifacts: Record<string, string> = {
      'the log file': logText,
      'the audit records': JSON.stringify(audit),
      'the error bodies': errorBodies.join('\n'),
      'the metrics': await metrics.text(),
    };
    // Not vacuous: there is plenty of each, including the events these requests must have made.
    assert.ok(logText.includes('[auth] Token verification for user'), 'auth lines were logged');
    assert.ok(audit.some((r) => r.action === 'auth.verification-failed'));
    assert.ok(audit.some((r) => r.action === 'auth.failed'));
    assert.ok(audit.some((r) => r.action === 'security.blocked'));
    assert.ok(errorBodies.length >= 20, `${errorBodies.length} error bodies`);
    assert.ok(secrets.size >= 20);
    const leaks: string[] = [];
    for (const [name, text] of Object.entries(artifacts))
      for (const s of secrets)
        if (s.length >= 8 && text.includes(s))
          leaks.push(
            `${name}: ${s.slice(0, 6)}… at ${text.indexOf(s)}: …${text.slice(Math.max(0, text.indexOf(s) - 60), text.indexOf(s)).replaceAll(s, '<secret>')}<secret>…`,
          );
    assert.deepEqual(leaks, []);
  });

  it('echoes no token that a client put in a management API path', {}, async () => {
    const bodies: string[] = [];
    // Each is refused as not found, or (a known path without that method) 405 with Allow.
    for (const [method, path, authorization] of [
      ['GET', `/tokens/${token}`, `Bearer ${token}`],
      ['DELETE', `/tokens/${token}`, `Bearer ${adminToken}`],
      ['GET', `/admin/users/${token}/tokens`, `Bearer ${adminToken}`],
      ['GET', `/nope/${token}`, `Bearer ${token}`],
    ] as const) {
      const r = await raw(t.adminUrl, method, `/_tokengate/api/v1${path}`, [
        ['authorization', authorization],
      ]);
      assert.ok(
        r.status === 404 || r.status === 405,
        `${method} ${path.replace(token, '<token>')}: ${r.status}`,
      );
      bodies.push(r.body);
    }
    for (const body of bodies) assert.ok(!body.includes(token), 'the token is echoed in the error body');
  });
});
