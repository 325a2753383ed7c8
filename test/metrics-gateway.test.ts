import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { checksum } from '../src/domain/token/format.js';
import { VERSION } from '../src/version.js';
import { bearer } from './support/harness.js';
import { cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { freePort } from './support/processes.js';
import { samples } from './support/prometheus.js';

/**
 * The gateway's metrics (issue 19), read from a real scrape after real requests: answers by status
 * class per entry point, the authentication step's and the upstream's duration histograms, upstream
 * failures (502), refusals by a closed set of reasons, the credential cache's hits and misses,
 * brute-force blocks, the audit queue and its write latency, and tokengate_build_info.
 */

/** A well-formed token (its checksum holds) that was never issued: an unknown token. */
function unknownToken(): string {
  const body = randomBytes(30)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 30);
  return `tgp_${body}${checksum(body)}`;
}

/** A scrape as `name{labels}` → value, labels sorted, without the `node` label every series has. */
type Scrape = Map<string, number>;

function parse(text: string): Scrape {
  const out: Scrape = new Map();
  for (const { name, labels, value } of samples(text)) {
    const shown = Object.entries(labels)
      .filter(([k]) => k !== 'node')
      .map(([k, v]) => `${k}="${v}"`)
      .sort();
    out.set(`${name}{${shown.join(',')}}`, value);
  }
  return out;
}

/** A series' value; a missing series fails the test (a dashboard would show nothing). */
function value(s: Scrape, series: string): number {
  const v = s.get(series);
  assert.ok(v !== undefined, `${series} is not in the scrape:\n${[...s.keys()].join('\n')}`);
  return v;
}

describe('gateway metrics from real requests', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  /** A node whose upstream is a port nothing listens on. */
  let dead: TestNode;

  /** Scrapes the metrics listener, as Prometheus would: no credentials, no audit event of its own. */
  const scrape = async (node: TestNode = t): Promise<Scrape> => {
    const res = await fetch(`${node.node.metricsUrl ?? ''}/metrics`);
    assert.equal(res.status, 200);
    return parse(await res.text());
  };
  const get = (auth: string | null, path = '/x', init: RequestInit = {}): Promise<number> =>
    fetch(`${t.url}${path}`, {
      ...init,
      headers: {
        ...(init.headers as Record<string, string>),
        ...(auth === null ? {} : { authorization: auth }),
      },
    }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.metrics.enabled = true;
      c.metrics.port = 0;
      // Flushed by the test only: the queue's depth is read between flushes.
      c.audit.flushIntervalMs = 10_000;
    });
    dead = await startTestNode(`http://127.0.0.1:${await freePort()}`, (c) => {
      c.metrics.enabled = true;
      c.metrics.port = 0;
      c.db = t.node.ctx.config.db;
      c.nodeId = 'dead-upstream';
    });
    await t.settings({ 'tokens.maxPerUser': 100 });
  });

  after(async () => {
    await dead.close();
    await t.close();
    await up.close();
  });

  it('reports tokengate_build_info with the version and the Node.js version', async () => {
    const s = await scrape();
    assert.equal(value(s, `tokengate_build_info{node_version="${process.version}",version="${VERSION}"}`), 1);
  });

  it('counts answers by status class, the auth and upstream histograms, and cache hits and misses', async () => {
    const write = (await t.tokenFor('admin', { description: 'writer' })).token;
    const before = await scrape();
    // The first use reads the database (a miss), the next two are answered from memory (hits).
    for (let i = 0; i < 3; i++) assert.equal(await get(bearer(write)), 200);
    assert.equal(await get(bearer(unknownToken())), 401);
    const fa = await fetch(`${t.url}/_tokengate/auth`, { headers: { authorization: bearer(write) } });
    assert.equal(fa.status, 200);
    const after = await scrape();
    const delta = (series: string): number => value(after, series) - value(before, series);
    assert.equal(delta('tokengate_requests_total{code_class="2xx",entrypoint="proxy"}'), 3);
    assert.equal(delta('tokengate_requests_total{code_class="4xx",entrypoint="proxy"}'), 1);
    assert.equal(delta('tokengate_requests_total{code_class="2xx",entrypoint="forward_auth"}'), 1);
    assert.equal(delta('tokengate_requests_total{code_class="5xx",entrypoint="proxy"}'), 0);
    // Every authentication is timed once: 4 through the proxy, 1 through forward-auth.
    assert.equal(delta('tokengate_auth_duration_seconds_count{}'), 5);
    assert.equal(delta('tokengate_auth_duration_seconds_bucket{le="+Inf"}'), 5);
    assert.ok(delta('tokengate_auth_duration_seconds_sum{}') > 0);
    // Only the three proxied requests reached the upstream.
    assert.equal(delta('tokengate_upstream_duration_seconds_count{}'), 3);
    assert.equal(delta('tokengate_upstream_duration_seconds_bucket{le="+Inf"}'), 3);
    // The forged token is a miss too: unknown hashes are never cached.
    assert.equal(delta('tokengate_credential_cache_lookups_total{result="miss"}'), 2);
    assert.equal(delta('tokengate_credential_cache_lookups_total{result="hit"}'), 3);
    // Buckets are cumulative.
    const le = [...after.keys()].filter((k) => k.startsWith('tokengate_auth_duration_seconds_bucket'));
    const counts = le.map((k) => value(after, k));
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => a - b),
    );
  });

  it('labels refusals with a closed set of reasons', async () => {
    await t.settings({ 'auth.requireAuthentication': true });
    const revoked = await t.tokenFor('admin', { description: 'to revoke' });
    await t.node.ctx.tokens.revoke(CLI_PRINCIPAL, cli, revoked.id, true);
    const readOnly = (await t.tokenFor('admin', { description: 'reader', scope: 'read' })).token;
    const elsewhere = (await t.tokenFor('admin', { description: 'elsewhere', allowedIps: ['10.0.0.0/8'] }))
      .token;
    const before = await scrape();
    assert.equal(await get(bearer(revoked.token)), 401);
    assert.equal(await get(bearer(unknownToken())), 401);
    // Right prefix, wrong checksum: a typo or a truncated copy.
    assert.equal(await get(bearer(`${readOnly.slice(0, -4)}AAAA`)), 401);
    assert.equal(await get(bearer(readOnly), '/x', { method: 'POST' }), 403);
    assert.equal(await get(bearer(elsewhere)), 403);
    assert.equal(await get(null), 401);
    const after = await scrape();
    const delta = (reason: string): number =>
      value(after, `tokengate_auth_failures_total{reason="${reason}"}`) -
      value(before, `tokengate_auth_failures_total{reason="${reason}"}`);
    assert.deepEqual(
      Object.fromEntries(
        ['revoked', 'expired', 'ip', 'scope', 'unknown', 'malformed', 'missing'].map((r) => [r, delta(r)]),
      ),
      { revoked: 1, expired: 0, ip: 1, scope: 1, unknown: 1, malformed: 1, missing: 1 },
    );
    await t.settings({ 'auth.requireAuthentication': false });
  });

  it('counts a brute-force block', async () => {
    // The test is the trusted proxy of a documentation address, which gets blocked instead of it.
    await t.settings({
      'auth.trustedProxies': ['127.0.0.1'],
      'bruteForce.ipMaxFailures': 2,
      'bruteForce.windowSeconds': 60,
      'bruteForce.blockSeconds': 60,
    });
    const before = await scrape();
    const forged = bearer(unknownToken());
    const from = { headers: { 'x-forwarded-for': '203.0.113.7' } };
    for (let i = 0; i < 2; i++) assert.equal(await get(forged, '/x', from), 401);
    assert.equal(await get(forged, '/x', from), 429);
    const after = await scrape();
    assert.equal(
      value(after, 'tokengate_bruteforce_blocks_total{subject="ip"}') -
        value(before, 'tokengate_bruteforce_blocks_total{subject="ip"}'),
      1,
    );
    // 429 is the 4xx class too.
    assert.equal(
      value(after, 'tokengate_requests_total{code_class="4xx",entrypoint="proxy"}') -
        value(before, 'tokengate_requests_total{code_class="4xx",entrypoint="proxy"}'),
      3,
    );
  });

  it('counts an unreachable upstream as a 502 upstream error and a 5xx answer', async () => {
    const token = (await t.tokenFor('admin', { description: 'dead upstream' })).token;
    const before = await scrape(dead);
    const res = await fetch(`${dead.url}/x`, { headers: { authorization: bearer(token) } });
    assert.equal(res.status, 502);
    const after = await scrape(dead);
    const delta = (series: string): number => value(after, series) - value(before, series);
    assert.equal(delta('tokengate_upstream_errors_total{code="502"}'), 1);
    assert.equal(delta('tokengate_upstream_errors_total{code="504"}'), 0);
    assert.equal(delta('tokengate_requests_total{code_class="5xx",entrypoint="proxy"}'), 1);
    // No response headers came: nothing to time.
    assert.equal(delta('tokengate_upstream_duration_seconds_count{}'), 0);
  });

  it('reports the audit queue depth between flushes and times each batch written', async () => {
    await t.settings({ 'audit.events.authSuccess': true });
    await t.node.runtime.auditQueue.flush();
    const before = await scrape();
    const token = (await t.tokenFor('admin', { description: 'audited' })).token;
    for (let i = 0; i < 3; i++) assert.equal(await get(bearer(token)), 200);
    const queued = t.node.runtime.auditQueue.size;
    assert.ok(queued >= 3, `${queued} events queued`);
    const during = await scrape();
    assert.equal(value(during, 'tokengate_audit_queue_size{}'), queued);
    await t.node.runtime.auditQueue.flush();
    const after = await scrape();
    assert.equal(value(after, 'tokengate_audit_queue_size{}'), 0);
    assert.ok(
      value(after, 'tokengate_audit_write_duration_seconds_count{}') >
        value(before, 'tokengate_audit_write_duration_seconds_count{}'),
    );
  });
});
