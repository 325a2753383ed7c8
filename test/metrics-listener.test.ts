import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../src/version.js';
import { bearer } from './support/harness.js';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * The metrics listener (config metrics.enabled, issue 19): Prometheus scrapes /metrics there with no
 * credential at all, as Traefik's metrics entry point and oauth2-proxy's metrics address allow,
 * instead of an admin-group token that could also read users and the audit log. It serves nothing
 * else but /livez and /readyz, binds to loopback by default, and is off unless turned on.
 */
describe('the metrics listener', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let off: TestNode;
  let url: string;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.metrics.enabled = true;
      c.metrics.port = 0;
    });
    off = await startTestNode(up.url, (c) => {
      c.db = t.node.ctx.config.db;
      c.nodeId = 'no-metrics-listener';
    });
    url = t.node.metricsUrl ?? '';
  });

  after(async () => {
    await off.close();
    await t.close();
    await up.close();
  });

  it('serves /metrics without credentials, in the Prometheus text format', async () => {
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const text = await res.text();
    assert.ok(
      text.includes(
        `tokengate_build_info{version="${VERSION}",node_version="${process.version}",node="test-node"} 1`,
      ),
    );
    assert.match(text, /^# TYPE tokengate_auth_duration_seconds histogram$/m);
  });

  it('answers HEAD with the headers only', async () => {
    const res = await fetch(`${url}/metrics`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
  });

  it('serves /livez and /readyz', async () => {
    const live = await fetch(`${url}/livez`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok' }, errors: {} });
  });

  it('serves nothing else: no management API, no web UI, no proxying', async () => {
    for (const path of ['/', '/_tokengate/api/v1/tokens', '/_tokengate/metrics', '/metrics/x', '/x']) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: 'Bearer x' } });
      assert.equal(res.status, 404, path);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'not_found');
      assert.match(body.error.message, /only \/metrics, \/livez and \/readyz/);
    }
    assert.equal(up.seen.length, 0, 'nothing reached the upstream');
  });

  it('refuses other methods with 405 and Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${url}/metrics`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      await res.arrayBuffer();
    }
  });

  it('binds to loopback by default', () => {
    assert.equal(t.node.ctx.config.metrics.host, '127.0.0.1');
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('is off by default, and the admin listener still serves /_tokengate/metrics to the admin group only', async () => {
    assert.equal(off.node.metricsUrl, null);
    assert.equal(off.node.ctx.config.metrics.enabled, false);
    const anonymous = await fetch(`${off.adminUrl}/_tokengate/metrics`);
    assert.equal(anonymous.status, 401);
    await anonymous.arrayBuffer();
    const admin = (await off.tokenFor('admin', { description: 'scraper', scope: 'read' })).token;
    const res = await fetch(`${off.adminUrl}/_tokengate/metrics`, {
      headers: { authorization: bearer(admin) },
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^tokengate_build_info\{/m);
  });

  it('refuses to start on a port in use, naming the keys that chose it', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      await assert.rejects(
        startTestNode(up.url, (c) => {
          c.metrics.enabled = true;
          c.metrics.port = port;
          c.db = t.node.ctx.config.db;
          c.nodeId = 'port-taken';
        }),
        (err: NodeJS.ErrnoException) => {
          assert.equal(err.code, 'EADDRINUSE');
          assert.equal(err.syscall, 'listen');
          assert.match(err.message, /\(the metrics listener: metrics\.host, metrics\.port\)$/);
          return true;
        },
      );
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('stops with the node', async () => {
    const n = await startTestNode(up.url, (c) => {
      c.metrics.enabled = true;
      c.metrics.port = 0;
      c.db = t.node.ctx.config.db;
      c.nodeId = 'stopping';
    });
    const port = new URL(n.node.metricsUrl ?? '').port;
    assert.equal((await fetch(`${n.node.metricsUrl ?? ''}/livez`)).status, 200);
    await n.close();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/livez`));
  });
});
