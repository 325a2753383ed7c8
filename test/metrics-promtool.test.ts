import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { bearer } from './support/harness.js';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { findPromtool } from './support/prometheus.js';

/**
 * The scrape output of a running node passes `promtool check metrics` (Debian's `prometheus`
 * package) with no problem at all: promtool exits 0 and prints nothing. The same command runs in CI:
 *
 *   curl -fsS http://127.0.0.1:9464/metrics | promtool check metrics
 *
 * TOKENGATE_TEST_PROMTOOL names the binary when it is not on PATH; missing locally the suite skips,
 * missing under CI=true it fails.
 */

const PROMTOOL = findPromtool('to check the metrics');

/** promtool's verdict on an exposition: its exit status and everything it printed. */
function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL ?? 'promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('promtool check metrics', { skip: PROMTOOL === null ? 'promtool not found' : false }, () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let admin: string;

  before(async () => {
    up = await startEchoUpstream();
    // Default metrics on (process, heap, event loop): prom-client's `_total` gauges were the culprits.
    t = await startTestNode(up.url, (c) => {
      c.metrics.enabled = true;
      c.metrics.port = 0;
    });
    admin = (await t.tokenFor('admin', { description: 'metrics scraper', scope: 'read' })).token;
  });

  after(async () => {
    await t.close();
    await up.close();
  });

  it('catches what it should: a gauge named _total fails the check', () => {
    const bad = '# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n';
    const r = promtool(bad);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /non-counter metrics should not have "_total" suffix/);
  });

  it('passes on a scrape of a node that served allowed and refused requests', async () => {
    // Labelled series appear once used: allowed, an unknown token, forward-auth.
    assert.equal((await fetch(`${t.url}/a`, { headers: { authorization: bearer(admin) } })).status, 200);
    const forged = `${admin.slice(0, -4)}AAAA`;
    assert.equal((await fetch(`${t.url}/a`, { headers: { authorization: bearer(forged) } })).status, 401);
    assert.equal(
      (await fetch(`${t.url}/_tokengate/auth`, { headers: { authorization: bearer(admin) } })).status,
      200,
    );
    await t.node.runtime.auditQueue.flush();
    for (const url of [`${t.node.metricsUrl ?? ''}/metrics`, `${t.adminUrl}/_tokengate/metrics`]) {
      const res = await fetch(url, { headers: { authorization: bearer(admin) } });
      assert.equal(res.status, 200, url);
      const text = await res.text();
      assert.match(text, /^tokengate_nodejs_heap_size_used_bytes\{/m, 'the default metrics are on');
      // promtool also lints the lean histograms and counters (src/metrics/lean.ts).
      assert.match(text, /^tokengate_auth_duration_seconds_bucket\{le="\+Inf",node="test-node"\} 3$/m);
      assert.match(
        text,
        /^tokengate_requests_total\{entrypoint="proxy",code_class="2xx",node="test-node"\} 1$/m,
      );
      const r = promtool(text);
      assert.deepEqual(r, { status: 0, output: '' }, `${url}:\n${r.output}`);
    }
  });
});
