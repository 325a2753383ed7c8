import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { LeanCounter, LeanHistogram, registerLean } from './lean.js';

/** The registry's text for one metric. */
async function text(registry: Registry, name: string): Promise<string> {
  return registry.getSingleMetricAsString(name);
}

describe('LeanHistogram', () => {
  it('puts a value equal to a bound in that bucket (le), cumulates at scrape, and adds sum and count', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ node: 'n1' });
    const h = new LeanHistogram('x_seconds', 'X.', [0.25, 0.5, 1]);
    registerLean(registry, h);
    // Binary fractions, so the sum is exact.
    for (const v of [0.125, 0.25, 0.375, 1, 1.5, 4]) h.observe(v);
    assert.equal(
      await text(registry, 'x_seconds'),
      [
        '# HELP x_seconds X.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{le="0.25",node="n1"} 2',
        'x_seconds_bucket{le="0.5",node="n1"} 3',
        'x_seconds_bucket{le="1",node="n1"} 4',
        'x_seconds_bucket{le="+Inf",node="n1"} 6',
        'x_seconds_sum{node="n1"} 7.25',
        'x_seconds_count{node="n1"} 6',
      ].join('\n'),
    );
  });

  it('refuses bounds that do not increase', () => {
    assert.throws(() => new LeanHistogram('y_seconds', 'Y.', [0.1, 0.1]), /bucket bounds must increase/);
    assert.throws(() => new LeanHistogram('y_seconds', 'Y.', [1, 0.5]), /bucket bounds must increase/);
  });
});

describe('LeanCounter', () => {
  it('shows every bound series, at 0 before its first event, and the series it reads at scrape time', async () => {
    const registry = new Registry();
    const c = new LeanCounter('c_total', 'C.');
    const a = c.bind({ kind: 'a' });
    c.bind({ kind: 'b' });
    let outside = 4;
    c.reading({ kind: 'read' }, () => outside);
    registerLean(registry, c);
    a.inc();
    a.inc(2);
    outside = 5;
    assert.equal(
      await text(registry, 'c_total'),
      [
        '# HELP c_total C.',
        '# TYPE c_total counter',
        'c_total{kind="a"} 3',
        'c_total{kind="b"} 0',
        'c_total{kind="read"} 5',
      ].join('\n'),
    );
  });

  it('refuses a second metric of the same name, as prom-client does', () => {
    const registry = new Registry();
    registerLean(registry, new LeanCounter('d_total', 'D.'));
    assert.throws(() => registerLean(registry, new LeanCounter('d_total', 'D.')), /already been registered/);
  });
});
