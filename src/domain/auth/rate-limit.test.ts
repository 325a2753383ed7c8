import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeWindow,
  gcra,
  MemoryRateLimitStore,
  type RateDecision,
  type RateLimitPolicy,
} from './rate-limit.js';

const T0 = Date.UTC(2030, 5, 1, 12, 0, 0);
/** The seed's example: 5 requests within 5 minutes, one every 60 s. */
const FIVE_PER_5_MIN: RateLimitPolicy = { requests: 5, windowMs: 300_000 };
const INTERVAL = 60_000;
const ONE_PER_SECOND: RateLimitPolicy = { requests: 1, windowMs: 1000 };

/** Runs `gcra` like a store does: keeps the returned TAT. */
function limiter(policy: RateLimitPolicy, initial?: number) {
  let tat = initial;
  return {
    call(now: number): RateDecision {
      const r = gcra(tat, now, policy);
      tat = r.tat;
      return r.decision;
    },
    get tat() {
      return tat;
    },
  };
}

function assertClose(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) <= 1, `${message ?? ''} expected ${expected} ±1, got ${actual}`);
}

describe('gcra', () => {
  it('allows a burst of exactly `requests`, remaining counting down to 0', () => {
    const l = limiter(FIVE_PER_5_MIN);
    const remaining: number[] = [];
    for (let k = 0; k < 5; k++) {
      const d = l.call(T0);
      assert.equal(d.allowed, true, `request ${k + 1}`);
      assert.equal(d.retryAfterMs, 0);
      remaining.push(d.remaining);
    }
    assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
    const denied = l.call(T0);
    assert.equal(denied.allowed, false);
    assert.equal(denied.remaining, 0);
  });

  it('reports the policy in every decision', () => {
    const l = limiter(FIVE_PER_5_MIN);
    for (let k = 0; k < 6; k++) {
      const d = l.call(T0);
      assert.equal(d.limit, 5);
      assert.equal(d.windowMs, 300_000);
    }
  });

  it('a denial says to retry after windowMs / requests', () => {
    const l = limiter(FIVE_PER_5_MIN);
    for (let k = 0; k < 5; k++) l.call(T0);
    const d = l.call(T0);
    assert.equal(d.allowed, false);
    assertClose(d.retryAfterMs, INTERVAL);
    assert.ok(d.retryAfterMs > 0);
  });

  it('retryAfterMs shrinks as time passes while still denied', () => {
    const l = limiter(FIVE_PER_5_MIN);
    for (let k = 0; k < 5; k++) l.call(T0);
    const d = l.call(T0 + 45_000);
    assert.equal(d.allowed, false);
    assertClose(d.retryAfterMs, 15_000);
  });

  it('after waiting one interval, exactly one more request is allowed', () => {
    const l = limiter(FIVE_PER_5_MIN);
    for (let k = 0; k < 5; k++) l.call(T0);
    assert.equal(l.call(T0 + INTERVAL - 1).allowed, false);
    const d = l.call(T0 + INTERVAL);
    assert.equal(d.allowed, true);
    assert.equal(d.remaining, 0);
    assert.equal(l.call(T0 + INTERVAL).allowed, false);
  });

  it('a denied call does not consume: the TAT is unchanged', () => {
    const stored = T0 + 300_000; // a full burst used at T0
    for (const now of [T0, T0 + 1, T0 + 30_000, T0 + INTERVAL - 1]) {
      const r = gcra(stored, now, FIVE_PER_5_MIN);
      assert.equal(r.decision.allowed, false, `at +${now - T0}`);
      assert.equal(r.tat, stored, `at +${now - T0}`);
    }
  });

  it('many denied calls do not delay the next allowed one', () => {
    const l = limiter(FIVE_PER_5_MIN);
    for (let k = 0; k < 5; k++) l.call(T0);
    const tat = l.tat;
    for (let k = 0; k < 100; k++) assert.equal(l.call(T0 + k * 100).allowed, false);
    assert.equal(l.tat, tat);
    assert.equal(l.call(T0 + INTERVAL).allowed, true);
  });

  it('an allowed call moves the TAT forward by one interval', () => {
    assert.equal(gcra(undefined, T0, FIVE_PER_5_MIN).tat, T0 + INTERVAL);
    assert.equal(gcra(T0 + 120_000, T0, FIVE_PER_5_MIN).tat, T0 + 180_000);
  });

  it('resetMs: the time until the full burst is available again', () => {
    const l = limiter(FIVE_PER_5_MIN);
    assert.equal(l.call(T0).resetMs, INTERVAL);
    assert.equal(l.call(T0).resetMs, 2 * INTERVAL);
    l.call(T0);
    l.call(T0);
    assert.equal(l.call(T0).resetMs, 300_000);
    const denied = l.call(T0 + 10_000);
    assert.equal(denied.allowed, false);
    assert.equal(denied.resetMs, 290_000);
  });

  it('after resetMs the full burst is available again', () => {
    const l = limiter(FIVE_PER_5_MIN);
    let last: RateDecision | undefined;
    for (let k = 0; k < 5; k++) last = l.call(T0);
    assert.ok(last);
    const later = T0 + last.resetMs;
    const remaining: number[] = [];
    for (let k = 0; k < 5; k++) {
      const d = l.call(later);
      assert.equal(d.allowed, true, `request ${k + 1} after the reset`);
      remaining.push(d.remaining);
    }
    assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
    assert.equal(l.call(later).allowed, false);
  });

  it('partial recovery: two intervals later, two requests are allowed', () => {
    const l = limiter(FIVE_PER_5_MIN);
    for (let k = 0; k < 5; k++) l.call(T0);
    const now = T0 + 2 * INTERVAL;
    const first = l.call(now);
    assert.equal(first.allowed, true);
    assert.equal(first.remaining, 1);
    assert.equal(first.resetMs, 240_000);
    assert.equal(l.call(now).allowed, true);
    assert.equal(l.call(now).allowed, false);
  });

  it('1 request per 1 s: one, then denied until a second has passed', () => {
    const l = limiter(ONE_PER_SECOND);
    const first = l.call(T0);
    assert.deepEqual(first, {
      allowed: true,
      limit: 1,
      windowMs: 1000,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 0,
    });
    const second = l.call(T0);
    assert.equal(second.allowed, false);
    assertClose(second.retryAfterMs, 1000);
    const almost = l.call(T0 + 999);
    assert.equal(almost.allowed, false);
    assertClose(almost.retryAfterMs, 1);
    assert.equal(l.call(T0 + 1000).allowed, true);
    assert.equal(l.call(T0 + 1000).allowed, false);
  });

  it('a stored TAT in the past behaves like none', () => {
    for (const stored of [T0 - 1, T0 - INTERVAL, T0 - 10 * 300_000, 0]) {
      assert.deepEqual(gcra(stored, T0, FIVE_PER_5_MIN), gcra(undefined, T0, FIVE_PER_5_MIN));
    }
    assert.deepEqual(gcra(T0, T0, FIVE_PER_5_MIN), gcra(undefined, T0, FIVE_PER_5_MIN));
  });

  it('a first request is allowed with remaining = requests - 1 for policies with whole-ms intervals', () => {
    for (const policy of [
      FIVE_PER_5_MIN,
      ONE_PER_SECOND,
      { requests: 10, windowMs: 1000 },
      { requests: 100, windowMs: 60_000 },
      { requests: 60, windowMs: 3_600_000 },
    ]) {
      const d = gcra(undefined, T0, policy).decision;
      assert.equal(d.allowed, true);
      assert.equal(d.remaining, policy.requests - 1, `${policy.requests}/${policy.windowMs}`);
    }
  });

  // Policies such as 7 per second have an interval that is not a whole number of milliseconds
  // (142.857… ms); summing it `requests` times must still allow the full burst.
  it('allows a burst of exactly `requests` when windowMs / requests is not a whole number', () => {
    const policies: RateLimitPolicy[] = [
      { requests: 3, windowMs: 1000 },
      { requests: 7, windowMs: 1000 },
      { requests: 6, windowMs: 7000 },
      { requests: 11, windowMs: 60_000 },
    ];
    const problems: string[] = [];
    for (const now of [0, 1_000_000, T0]) {
      for (const policy of policies) {
        const l = limiter(policy);
        const remaining: number[] = [];
        let allowed = 0;
        for (let k = 0; k < policy.requests; k++) {
          const d = l.call(now);
          if (d.allowed) allowed++;
          remaining.push(d.remaining);
        }
        const expected = Array.from({ length: policy.requests }, (_, k) => policy.requests - 1 - k);
        if (allowed !== policy.requests || JSON.stringify(remaining) !== JSON.stringify(expected)) {
          problems.push(
            `${policy.requests}/${policy.windowMs}ms at now=${now}: allowed ${allowed}, remaining ${remaining.join(',')}`,
          );
        }
        const denied = l.call(now);
        if (denied.allowed) problems.push(`${policy.requests}/${policy.windowMs}ms: one too many allowed`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

describe('MemoryRateLimitStore', () => {
  it('applies gcra per key and remembers the TAT', () => {
    const store = new MemoryRateLimitStore();
    const remaining: number[] = [];
    for (let k = 0; k < 5; k++) remaining.push(store.consume('tok_a', FIVE_PER_5_MIN, T0).remaining);
    assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
    const denied = store.consume('tok_a', FIVE_PER_5_MIN, T0);
    assert.equal(denied.allowed, false);
    assertClose(denied.retryAfterMs, INTERVAL);
    assert.equal(store.consume('tok_a', FIVE_PER_5_MIN, T0 + INTERVAL).allowed, true);
  });

  it('keys are independent', () => {
    const store = new MemoryRateLimitStore();
    for (let k = 0; k < 5; k++) store.consume('tok_a', FIVE_PER_5_MIN, T0);
    assert.equal(store.consume('tok_a', FIVE_PER_5_MIN, T0).allowed, false);
    const b = store.consume('tok_b', FIVE_PER_5_MIN, T0);
    assert.equal(b.allowed, true);
    assert.equal(b.remaining, 4);
    assert.equal(store.consume('tok_a', FIVE_PER_5_MIN, T0).allowed, false);
    assert.equal(store.size, 2);
  });

  it('a denied consume stores nothing', () => {
    const store = new MemoryRateLimitStore();
    store.consume('tok_a', ONE_PER_SECOND, T0);
    for (let k = 0; k < 10; k++) assert.equal(store.consume('tok_a', ONE_PER_SECOND, T0 + k).allowed, false);
    assert.equal(store.consume('tok_a', ONE_PER_SECOND, T0 + 1000).allowed, true);
    assert.equal(store.size, 1);
  });

  it('sweep drops only the keys whose TAT has passed', () => {
    const store = new MemoryRateLimitStore();
    store.consume('early', FIVE_PER_5_MIN, T0); // TAT T0 + 60 s
    store.consume('late', FIVE_PER_5_MIN, T0 + 100_000); // TAT T0 + 160 s
    store.consume('busy', FIVE_PER_5_MIN, T0);
    store.consume('busy', FIVE_PER_5_MIN, T0); // TAT T0 + 120 s
    assert.equal(store.size, 3);

    assert.equal(store.sweep(T0 + INTERVAL - 1), 0);
    assert.equal(store.size, 3);

    assert.equal(store.sweep(T0 + INTERVAL), 1);
    assert.equal(store.size, 2);

    assert.equal(store.sweep(T0 + 150_000), 1);
    assert.equal(store.size, 1);

    assert.equal(store.sweep(T0 + 160_001), 1);
    assert.equal(store.size, 0);
    assert.equal(store.sweep(T0 + 1_000_000), 0);
  });

  it('sweep keeps a limited key: it stays limited', () => {
    const store = new MemoryRateLimitStore();
    for (let k = 0; k < 5; k++) store.consume('tok_a', FIVE_PER_5_MIN, T0);
    assert.equal(store.sweep(T0 + 1000), 0);
    assert.equal(store.consume('tok_a', FIVE_PER_5_MIN, T0 + 1000).allowed, false);
  });

  it('consume after sweep behaves like a fresh key', () => {
    const store = new MemoryRateLimitStore();
    for (let k = 0; k < 5; k++) store.consume('tok_a', FIVE_PER_5_MIN, T0);
    const later = T0 + 300_000 + 5;
    assert.equal(store.sweep(later), 1);
    const fresh = new MemoryRateLimitStore();
    for (let k = 0; k < 6; k++) {
      assert.deepEqual(
        store.consume('tok_a', FIVE_PER_5_MIN, later),
        fresh.consume('tok_a', FIVE_PER_5_MIN, later),
        `call ${k + 1}`,
      );
    }
  });
});

describe('describeWindow', () => {
  it('names the window in the largest whole unit', () => {
    assert.equal(describeWindow(1000), '1 second');
    assert.equal(describeWindow(300_000), '5 minutes');
    assert.equal(describeWindow(3_600_000), '1 hour');
    assert.equal(describeWindow(90_000), '90 seconds');
    assert.equal(describeWindow(7_200_000), '2 hours');
  });

  it('uses the singular for one unit and the plural otherwise', () => {
    assert.equal(describeWindow(60_000), '1 minute');
    assert.equal(describeWindow(120_000), '2 minutes');
    assert.equal(describeWindow(2000), '2 seconds');
    assert.equal(describeWindow(86_400_000), '24 hours');
    assert.equal(describeWindow(5_400_000), '90 minutes');
  });
});
