import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { formatTraceparent, parseTraceparent } from '../src/tracing/traceparent.js';
import { bearer } from './support/harness.js';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Traces (issue 19, "Logs and traces"): W3C traceparent to the upstream, a new trace when none (or
 * an invalid one) came in, and OTLP/HTTP export of a server span with children for authentication
 * and the upstream call, checked against a receiver this test starts.
 */

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

describe('parseTraceparent', () => {
  it('reads a valid header', () => {
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-01`), {
      traceId: TRACE,
      parentId: PARENT,
      flags: 1,
    });
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-00`)?.flags, 0);
    // A later version may append fields.
    assert.equal(parseTraceparent(`01-${TRACE}-${PARENT}-01-extra`)?.traceId, TRACE);
  });

  it('refuses what the W3C says to restart from', () => {
    for (const bad of [
      undefined,
      '',
      `00-${TRACE.toUpperCase()}-${PARENT}-01`,
      `00-${'0'.repeat(32)}-${PARENT}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `ff-${TRACE}-${PARENT}-01`,
      `00-${TRACE}-${PARENT}-01-extra`,
      `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`,
      `00-${TRACE.slice(1)}-${PARENT}-01`,
      [`00-${TRACE}-${PARENT}-01`],
    ])
      assert.equal(parseTraceparent(bad), null, String(bad));
  });

  it('formats version 00 with the sampled flag only', () => {
    assert.equal(formatTraceparent(TRACE, PARENT, true), `00-${TRACE}-${PARENT}-01`);
    assert.equal(formatTraceparent(TRACE, PARENT, false), `00-${TRACE}-${PARENT}-00`);
  });
});

describe('tracing and access log configuration', () => {
  it('reads tracing.sampleRatio from the environment as a decimal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-tracing-env-'));
    try {
      assert.equal(
        loadConfig({ dataDir: dir }, { TOKENGATE_TRACING_SAMPLE_RATIO: '0.25' }).tracing.sampleRatio,
        0.25,
      );
      assert.throws(() => loadConfig({ dataDir: dir }, { TOKENGATE_TRACING_SAMPLE_RATIO: '1.5' }), {
        message: 'tracing.sampleRatio must be a number from 0 to 1 (TOKENGATE_TRACING_SAMPLE_RATIO)',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad value with a message naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-tracing-config-'));
    try {
      const file = join(dir, 'tokengate.yaml');
      for (const [yaml, message] of [
        ['tracing:\n  sampleRatio: 2\n', 'tracing.sampleRatio must be a number from 0 to 1 (config file)'],
        [
          'tracing:\n  otlpEndpoint: ftp://collector\n',
          'tracing.otlpEndpoint must be an http:// or https:// URL (config file)',
        ],
        ['accessLog:\n  format: xml\n', 'accessLog.format must be combined or json (config file)'],
      ] as const) {
        writeFileSync(file, yaml);
        assert.throws(() => loadConfig({ config: file, dataDir: dir }, {}), { name: 'ConfigError', message });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
}
interface OtlpRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{ spans: OtlpSpan[] }>;
  }>;
}

/** An OTLP/HTTP receiver: accepts the exporter's JSON posts to /v1/traces and keeps them. */
async function startReceiver(): Promise<{ url: string; posts: OtlpRequest[]; server: Server }> {
  const posts: OtlpRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type'] === 'application/json')
        posts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, posts, server };
}

const attr = (s: OtlpSpan, key: string): string | number | undefined => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue === undefined ? undefined : Number(v.intValue));
};

describe('traces through the gateway', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let t: TestNode;
  let off: TestNode;
  let tOpen = true;
  let token: { token: string; id: string };

  before(async () => {
    up = await startEchoUpstream();
    receiver = await startReceiver();
    t = await startTestNode(up.url, (c) => {
      c.tracing.enabled = true;
      c.tracing.otlpEndpoint = receiver.url;
      c.tracing.serviceName = 'tokengate-test';
    });
    off = await startTestNode(up.url, (c) => {
      c.db = t.node.ctx.config.db;
      c.nodeId = 'no-tracing';
    });
    token = await t.tokenFor('admin');
  });

  after(async () => {
    if (tOpen) await t.close();
    await off.close();
    await up.close();
    await new Promise((r) => receiver.server.close(r));
  });

  /** Sends a request through `node` and returns the traceparent and tracestate the upstream saw. */
  async function through(
    node: TestNode,
    headers: Record<string, string>,
    path = '/traced?x=1',
  ): Promise<{ traceparent: string; tracestate: string | undefined }> {
    up.seen.length = 0;
    const res = await fetch(`${node.url}${path}`, {
      headers: { authorization: bearer(token.token), ...headers },
    });
    assert.equal(res.status, 200);
    await res.text();
    const seen = up.seen.at(-1);
    assert.ok(seen);
    const tp = seen.headers.traceparent;
    const ts = seen.headers.tracestate;
    return {
      traceparent: typeof tp === 'string' ? tp : '',
      tracestate: typeof ts === 'string' ? ts : undefined,
    };
  }

  it('keeps a valid traceparent trace id; the upstream gets tokengate span as parent; tracestate passes', async () => {
    const got = await through(t, {
      traceparent: `00-${TRACE}-${PARENT}-01`,
      tracestate: 'vendor=abc,other=1',
    });
    const m = TRACEPARENT_RE.exec(got.traceparent);
    assert.ok(m, got.traceparent);
    assert.equal(m[1], TRACE);
    assert.notEqual(m[2], PARENT);
    assert.equal(m[3], '01');
    assert.equal(got.tracestate, 'vendor=abc,other=1');
  });

  it('starts a new, sampled trace (sampleRatio 1) when none or an invalid one came in', async () => {
    const none = TRACEPARENT_RE.exec((await through(t, {})).traceparent);
    const invalid = TRACEPARENT_RE.exec(
      (await through(t, { traceparent: `00-${'0'.repeat(32)}-${PARENT}-01` })).traceparent,
    );
    assert.ok(none && invalid);
    assert.notEqual(none[1], invalid[1]);
    for (const m of [none, invalid]) {
      assert.notEqual(m[1], TRACE);
      assert.notEqual(m[1], '0'.repeat(32));
      assert.notEqual(m[2], '0'.repeat(16));
      assert.equal(m[3], '01');
    }
  });

  it('follows an unsampled caller: flag 00 onwards', async () => {
    const m = TRACEPARENT_RE.exec(
      (await through(t, { traceparent: `00-${'a'.repeat(32)}-${PARENT}-00` })).traceparent,
    );
    assert.ok(m);
    assert.equal(m[1], 'a'.repeat(32));
    assert.equal(m[3], '00');
  });

  it('with tracing off, headers pass untouched (and none is added)', async () => {
    const given = `00-${TRACE}-${PARENT}-01`;
    assert.equal((await through(off, { traceparent: given, tracestate: 'v=1' })).traceparent, given);
    assert.equal((await through(off, {})).traceparent, '');
  });

  it('exports a server span with authentication and upstream children over OTLP/HTTP', async () => {
    const trace = 'b'.repeat(32);
    const got = TRACEPARENT_RE.exec(
      (
        await through(
          t,
          { traceparent: `00-${trace}-${PARENT}-01`, 'x-request-id': 'traced-1' },
          '/docs/1?secret=x',
        )
      ).traceparent,
    );
    assert.ok(got);
    // Forward-auth: the span stands for the original request a trusted proxy names.
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1/32'] });
    const fa = await fetch(`${t.url}/_tokengate/auth`, {
      headers: {
        authorization: bearer(token.token),
        traceparent: `00-${'c'.repeat(32)}-${PARENT}-01`,
        'x-forwarded-method': 'PUT',
        'x-forwarded-uri': '/fa/1?sig=x',
      },
    });
    assert.equal(fa.status, 200);
    // Closing the node shuts the tracer down, which exports what the batch still holds.
    await t.close();
    tOpen = false;
    const resources = receiver.posts.flatMap((p) => p.resourceSpans);
    const service = resources[0]?.resource.attributes.find((a) => a.key === 'service.name')?.value
      .stringValue;
    assert.equal(service, 'tokengate-test');
    const spans = resources
      .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      .filter((s) => s.traceId === trace);
    assert.equal(spans.length, 3, JSON.stringify(spans.map((s) => s.name)));
    const server = spans.find((s) => s.kind === 2);
    const auth = spans.find((s) => s.name === 'authenticate');
    const upstream = spans.find((s) => s.kind === 3);
    assert.ok(server && auth && upstream);
    assert.equal(server.parentSpanId, PARENT);
    assert.equal(auth.parentSpanId, server.spanId);
    assert.equal(upstream.parentSpanId, server.spanId);
    assert.equal(upstream.spanId, got[2], "the upstream's traceparent names the upstream span");
    assert.equal(attr(server, 'http.request.method'), 'GET');
    assert.equal(attr(server, 'url.path'), '/docs/1');
    assert.equal(attr(server, 'http.response.status_code'), 200);
    assert.equal(attr(server, 'tokengate.user'), 'admin');
    assert.equal(attr(server, 'tokengate.token_id'), token.id);
    assert.equal(attr(auth, 'tokengate.outcome'), 'authenticated');
    assert.equal(attr(upstream, 'http.response.status_code'), 200);
    const faSpans = resources
      .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      .filter((s) => s.traceId === 'c'.repeat(32));
    assert.equal(faSpans.length, 2, 'forward-auth: the request and its authentication, no upstream call');
    const faServer = faSpans.find((s) => s.kind === 2);
    assert.ok(faServer);
    assert.equal(faServer.name, 'PUT');
    assert.equal(faServer.parentSpanId, PARENT);
    assert.equal(attr(faServer, 'url.path'), '/fa/1');
    assert.equal(attr(faServer, 'tokengate.entrypoint'), 'forward_auth');
    assert.equal(faSpans.find((s) => s.name === 'authenticate')?.parentSpanId, faServer.spanId);
    const exported = JSON.stringify(receiver.posts);
    assert.ok(!exported.includes(token.token), 'no secret in a span');
    assert.ok(!exported.includes('secret=x'), 'no query string in a span');
  });
});
