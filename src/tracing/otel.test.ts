import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTracing } from './tracing.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

describe('the tracer (tracing.sampleRatio)', () => {
  it('samples no new trace at 0, every one at 1, and follows a caller either way', async () => {
    const none = await startTracing({ serviceName: 't', otlpEndpoint: null, sampleRatio: 0, upstream: null });
    const all = await startTracing({ serviceName: 't', otlpEndpoint: null, sampleRatio: 1, upstream: null });
    try {
      const flag = (tp: string): string => TRACEPARENT.exec(tp)?.[3] ?? 'invalid';
      const sent = (tracer: typeof none, given?: string): string => {
        const spans = tracer.start(given, 'GET', '/', 'proxy');
        const tp = spans.upstreamStarted();
        spans.ended(200);
        return tp;
      };
      for (let i = 0; i < 20; i++) {
        assert.equal(flag(sent(none)), '00');
        assert.equal(flag(sent(all)), '01');
      }
      const sampledCaller = `00-${'d'.repeat(32)}-${'1'.repeat(16)}-01`;
      const unsampledCaller = `00-${'d'.repeat(32)}-${'1'.repeat(16)}-00`;
      assert.equal(flag(sent(none, sampledCaller)), '01');
      assert.equal(flag(sent(all, unsampledCaller)), '00');
      // An unsampled request still gets ids of its own to propagate.
      const m = TRACEPARENT.exec(sent(none));
      assert.ok(m);
      assert.notEqual(m[1], '0'.repeat(32));
      assert.notEqual(m[2], '0'.repeat(16));
    } finally {
      await none.close();
      await all.close();
    }
  });
});
