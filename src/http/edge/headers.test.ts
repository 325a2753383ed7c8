import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gcra } from '../../domain/auth/rate-limit.js';
import { connectionTokens, HOP_BY_HOP, rateLimitHeaders } from './headers.js';

describe('connectionTokens', () => {
  it('is null when there is no Connection header', () => {
    assert.equal(connectionTokens(undefined), null);
  });

  it('is null for an empty value or empty list members', () => {
    assert.equal(connectionTokens(''), null);
    assert.equal(connectionTokens(' , ,'), null);
    assert.equal(connectionTokens([]), null);
  });

  it('is null for close and keep-alive alone, in any case', () => {
    assert.equal(connectionTokens('close'), null);
    assert.equal(connectionTokens('keep-alive'), null);
    assert.equal(connectionTokens('Close'), null);
    assert.equal(connectionTokens('Keep-Alive'), null);
    assert.equal(connectionTokens('close, keep-alive'), null);
  });

  it('returns the other names, lower-cased and trimmed', () => {
    assert.deepEqual(connectionTokens('keep-alive, X-Foo'), new Set(['x-foo']));
    assert.deepEqual(connectionTokens('  X-Foo ,x-bar,CLOSE  '), new Set(['x-foo', 'x-bar']));
    assert.deepEqual(connectionTokens('Upgrade'), new Set(['upgrade']));
  });

  it('collapses duplicates that differ only in case', () => {
    assert.deepEqual(connectionTokens('X-Foo, x-foo, X-FOO'), new Set(['x-foo']));
  });

  it('reads every value of a repeated header', () => {
    assert.deepEqual(
      connectionTokens(['keep-alive', 'X-Foo', 'X-Bar, x-baz']),
      new Set(['x-foo', 'x-bar', 'x-baz']),
    );
    assert.equal(connectionTokens(['close', 'keep-alive']), null);
    assert.deepEqual(connectionTokens(['close', 'X-Foo']), new Set(['x-foo']));
  });

  it('does not merge the last name of one value with the first of the next', () => {
    assert.deepEqual(connectionTokens(['X-A', 'X-B']), new Set(['x-a', 'x-b']));
  });
});

describe('HOP_BY_HOP', () => {
  it('lists the hop-by-hop headers of RFC 9110, lower-cased', () => {
    for (const h of [
      'connection',
      'keep-alive',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
      'proxy-authorization',
    ]) {
      assert.ok(HOP_BY_HOP.has(h), h);
    }
    assert.ok(!HOP_BY_HOP.has('authorization'));
    assert.ok(!HOP_BY_HOP.has('content-length'));
  });
});

const BASE = { limit: 5, windowMs: 300_000, remaining: 4, resetMs: 60_000, retryAfterMs: 0, allowed: true };

describe('rateLimitHeaders', () => {
  it('an allowed request: the exact RateLimit-Policy and RateLimit values, no Retry-After', () => {
    assert.deepEqual(rateLimitHeaders(BASE), {
      'ratelimit-policy': '"token";q=5;w=300',
      ratelimit: '"token";r=4;t=60',
    });
  });

  it('a denied request adds Retry-After in whole seconds', () => {
    assert.deepEqual(
      rateLimitHeaders({ ...BASE, allowed: false, remaining: 0, resetMs: 300_000, retryAfterMs: 60_000 }),
      {
        'ratelimit-policy': '"token";q=5;w=300',
        ratelimit: '"token";r=0;t=300',
        'retry-after': '60',
      },
    );
  });

  it('Retry-After is rounded up', () => {
    const h = (retryAfterMs: number) =>
      rateLimitHeaders({ ...BASE, allowed: false, retryAfterMs })['retry-after'];
    assert.equal(h(1001), '2');
    assert.equal(h(1500), '2');
    assert.equal(h(59_999.5), '60');
    assert.equal(h(2000), '2');
  });

  it('Retry-After is at least 1, even for a wait under a millisecond or none', () => {
    const h = (retryAfterMs: number) =>
      rateLimitHeaders({ ...BASE, allowed: false, retryAfterMs })['retry-after'];
    assert.equal(h(0), '1');
    assert.equal(h(0.0002), '1');
    assert.equal(h(1), '1');
    assert.equal(h(999), '1');
  });

  it('the reset time t is rounded up to whole seconds', () => {
    assert.equal(rateLimitHeaders({ ...BASE, resetMs: 1 }).ratelimit, '"token";r=4;t=1');
    assert.equal(rateLimitHeaders({ ...BASE, resetMs: 59_001 }).ratelimit, '"token";r=4;t=60');
    assert.equal(rateLimitHeaders({ ...BASE, resetMs: 0 }).ratelimit, '"token";r=4;t=0');
  });

  it('the window w is in seconds', () => {
    assert.equal(
      rateLimitHeaders({ ...BASE, limit: 1, windowMs: 1000 })['ratelimit-policy'],
      '"token";q=1;w=1',
    );
    assert.equal(
      rateLimitHeaders({ ...BASE, limit: 100, windowMs: 3_600_000 })['ratelimit-policy'],
      '"token";q=100;w=3600',
    );
  });

  it('renders a real gcra decision', () => {
    const policy = { requests: 5, windowMs: 300_000 };
    const first = gcra(undefined, 0, policy);
    assert.deepEqual(rateLimitHeaders(first.decision), {
      'ratelimit-policy': '"token";q=5;w=300',
      ratelimit: '"token";r=4;t=60',
    });
    let tat = first.tat;
    for (let k = 0; k < 4; k++) tat = gcra(tat, 0, policy).tat;
    const denied = gcra(tat, 30_000, policy).decision;
    assert.equal(denied.allowed, false);
    assert.deepEqual(rateLimitHeaders(denied), {
      'ratelimit-policy': '"token";q=5;w=300',
      ratelimit: '"token";r=0;t=270',
      'retry-after': '30',
    });
  });
});
