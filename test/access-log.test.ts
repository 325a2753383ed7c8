import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { AccessLog, type AccessRecord } from '../src/log/access-log.js';
import { RotatingFileSink } from '../src/log/rotating-file.js';
import { recordLogDir } from './support/artifacts.js';
import { bearer } from './support/harness.js';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * The access log (issue 19, "Logs and traces"): one line per proxied and forward-auth request in a
 * file of its own, with the request id, user, token id, status, upstream status and the auth and
 * upstream durations, and never a secret.
 */

/** The lines written so far (the sink writes asynchronously: flushed by the node's close or here). */
function lines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

/** Waits until the file holds `n` lines: the line is written once the answer has ended. */
async function waitForLines(file: string, n: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const got = lines(file);
    if (got.length >= n) return got;
    await new Promise((r) => setTimeout(r, 25));
  }
  return lines(file);
}

const COMBINED =
  /^(\S+) - (\S+) \[(\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000)\] "([^"]*)" (\d{3}) (\S+) "([^"]*)" "([^"]*)" request_id=(\S+) token_id=(\S+) upstream_status=(\S+) auth_ms=(\S+) upstream_ms=(\S+) request_ms=(\S+) trace_id=(\S+) entrypoint=(\S+)$/;

describe('the access log, combined format', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let file: string;
  let token: { token: string; id: string };

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.accessLog.enabled = true;
    });
    file = t.node.ctx.config.accessLog.file;
    token = await t.tokenFor('admin');
    // Without it, a value that is no token of ours passes through unauthenticated.
    await t.settings({ 'auth.requireAuthentication': true });
  });

  after(async () => {
    await t.close();
    await up.close();
  });

  it('is <dataDir>/logs/access.log by default, and off unless enabled', () => {
    assert.equal(file, join(t.dir, 'logs', 'access.log'));
    const defaults = loadConfig({ dataDir: t.dir }, {});
    assert.equal(defaults.accessLog.enabled, false);
    assert.equal(defaults.accessLog.format, 'combined');
    assert.equal(defaults.tracing.enabled, false);
  });

  it('writes a token request with user, token id, statuses and durations, never the secret or the query', async () => {
    const before = lines(file).length;
    const res = await fetch(`${t.url}/reports/1?sig=s3cr3t-sig&q=x`, {
      headers: {
        authorization: bearer(token.token),
        'x-request-id': 'req-ok-1',
        'user-agent': 'curl/8 "quoted"',
        referer: `https://app.example/page?token=${token.token}`,
      },
    });
    assert.equal(res.status, 200);
    const body = await res.text();
    const got = await waitForLines(file, before + 1);
    const line = got[before] ?? '';
    const m = COMBINED.exec(line);
    assert.ok(m, line);
    const [
      ,
      ip,
      user,
      ,
      request,
      status,
      bytes,
      referer,
      agent,
      rid,
      tokenId,
      ustatus,
      authMs,
      upMs,
      reqMs,
      trace,
      entry,
    ] = m;
    assert.equal(ip, '127.0.0.1');
    assert.equal(user, 'admin');
    assert.equal(request, 'GET /reports/1 HTTP/1.1');
    assert.equal(status, '200');
    assert.equal(bytes, String(Buffer.byteLength(body)));
    assert.equal(referer, 'https://app.example/page');
    assert.equal(agent, 'curl/8 \\x22quoted\\x22');
    assert.equal(rid, 'req-ok-1');
    assert.equal(tokenId, token.id);
    assert.equal(ustatus, '200');
    for (const v of [authMs, upMs, reqMs]) assert.match(v ?? '', /^\d+\.\d{3}$/);
    assert.ok(Number(reqMs) >= Number(upMs));
    assert.equal(trace, '-', 'no trace id with tracing off');
    assert.equal(entry, 'proxy');
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(token.token), 'the secret is never in the access log');
    assert.ok(!text.includes('s3cr3t-sig'), 'nor the query string');
  });

  it('writes a refused request: 401, no user, no token, no upstream', async () => {
    const before = lines(file).length;
    const res = await fetch(`${t.url}/reports/2`, {
      headers: { authorization: 'Bearer x', 'x-request-id': 'req-refused-1' },
    });
    assert.equal(res.status, 401);
    await res.text();
    const line = (await waitForLines(file, before + 1))[before] ?? '';
    const m = COMBINED.exec(line);
    assert.ok(m, line);
    assert.equal(m[2], '-');
    assert.equal(m[5], '401');
    assert.equal(m[9], 'req-refused-1');
    assert.equal(m[10], '-');
    assert.equal(m[11], '-');
    assert.match(m[12] ?? '', /^\d+\.\d{3}$/);
    assert.equal(m[13], '-');
  });

  it('writes a forward-auth request with the original method and path', async () => {
    const before = lines(file).length;
    const res = await fetch(`${t.url}/_tokengate/auth`, {
      headers: {
        authorization: bearer(token.token),
        'x-forwarded-method': 'PUT',
        'x-forwarded-uri': '/docs/7?sig=abc',
        'x-request-id': 'req-fa-1',
      },
    });
    // X-Forwarded-Method/-Uri only from a trusted proxy: loopback is not trusted by default.
    await res.text();
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1/32'] });
    const again = await fetch(`${t.url}/_tokengate/auth`, {
      headers: {
        authorization: bearer(token.token),
        'x-forwarded-method': 'PUT',
        'x-forwarded-uri': '/docs/7?sig=abc',
        'x-request-id': 'req-fa-2',
      },
    });
    assert.equal(again.status, 200);
    const got = await waitForLines(file, before + 2);
    const refused = COMBINED.exec(got[before] ?? '');
    assert.ok(refused, got[before]);
    assert.equal(refused[5], String(res.status));
    assert.equal(refused[16], 'forward_auth');
    const m = COMBINED.exec(got[before + 1] ?? '');
    assert.ok(m, got[before + 1]);
    assert.equal(m[2], 'admin');
    assert.equal(m[4], 'PUT /docs/7 HTTP/1.1');
    assert.equal(m[5], '200');
    assert.equal(m[6], '-', "tokengate's own answers: no body size");
    assert.equal(m[9], 'req-fa-2');
    assert.equal(m[10], token.id);
    assert.equal(m[11], '-');
    assert.equal(m[16], 'forward_auth');
  });
});

describe('the access log, JSON format', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let file: string;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.accessLog.enabled = true;
      c.accessLog.format = 'json';
      c.accessLog.file = join(c.dataDir, 'elsewhere', 'gateway-access.jsonl');
    });
    file = t.node.ctx.config.accessLog.file;
  });

  after(async () => {
    recordLogDir('access-log json', join(t.dir, 'elsewhere'));
    await t.close();
    await up.close();
  });

  it('writes one object per request with the same fields', async () => {
    const token = await t.tokenFor('admin');
    const res = await fetch(`${t.url}/x?y=1`, {
      headers: { authorization: bearer(token.token), 'x-request-id': 'json-1' },
    });
    assert.equal(res.status, 200);
    await res.text();
    const [line] = await waitForLines(file, 1);
    const r = JSON.parse(line ?? '{}') as Record<string, unknown>;
    assert.equal(r.path, '/x');
    assert.equal(r.method, 'GET');
    assert.equal(r.protocol, 'HTTP/1.1');
    assert.equal(r.status, 200);
    assert.equal(r.upstream_status, 200);
    assert.equal(r.request_id, 'json-1');
    assert.equal(r.user, 'admin');
    assert.equal(r.token_id, token.id);
    assert.equal(r.entrypoint, 'proxy');
    assert.equal(typeof r.auth_ms, 'number');
    assert.equal(typeof r.upstream_ms, 'number');
    assert.match(String(r.time), /^\d{4}-\d\d-\d\dT/);
    assert.ok(!line?.includes(token.token));
  });
});

describe('the access log file rotates like the main log', () => {
  it('moves access.log to access.log.1 … before it would pass its size, keeping whole lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-access-'));
    try {
      const path = join(dir, 'access.log');
      const sink = new RotatingFileSink(path, { maxBytes: 1000, maxFiles: 2 });
      const log = new AccessLog(sink, 'combined');
      const record: AccessRecord = {
        time: Date.UTC(2026, 0, 2, 3, 4, 5),
        entrypoint: 'proxy',
        clientIp: '10.0.0.1',
        method: 'GET',
        path: '/a',
        httpVersion: '1.1',
        status: 200,
        bytes: 12,
        referer: undefined,
        userAgent: 'ua',
        requestId: 'r',
        user: 'u',
        tokenId: 'tok_1',
        upstreamStatus: 200,
        authMs: 0.1234,
        upstreamMs: 1.5,
        durationMs: 2,
        traceId: null,
      };
      for (let i = 0; i < 40; i++) log.record({ ...record, requestId: `r${i}` });
      await log.close();
      assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`), 'rotated twice at least');
      assert.ok(!existsSync(`${path}.3`), 'maxFiles 2 keeps two');
      for (const f of [path, `${path}.1`, `${path}.2`]) {
        const text = readFileSync(f, 'utf8');
        assert.ok(text.length <= 1000, `${f} within maxBytes`);
        for (const l of text.split('\n').filter((x) => x !== '')) assert.match(l, COMBINED);
      }
      assert.match(
        lines(path).at(-1) ?? '',
        /^10\.0\.0\.1 - u \[02\/Jan\/2026:03:04:05 \+0000\] "GET \/a HTTP\/1\.1" 200 12 "-" "ua" request_id=r39 token_id=tok_1 upstream_status=200 auth_ms=0\.123 upstream_ms=1\.500 request_ms=2\.000 trace_id=- entrypoint=proxy$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
