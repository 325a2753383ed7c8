/**
 * Rate limiting with GCRA (the generic cell rate algorithm): a sliding window without counters.
 * Each key keeps one number, its "theoretical arrival time" (TAT). `requests` per `windowMs` allows a
 * burst of `requests`, then one request every `windowMs / requests`. The decision is pure; stores
 * (memory now, Redis in cluster mode) only keep the TAT and apply this function atomically.
 */
export interface RateLimitPolicy {
  requests: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  windowMs: number;
  /** Requests still allowed right now. */
  remaining: number;
  /** Until the full burst is available again. */
  resetMs: number;
  /** Until the next request would be allowed; 0 when allowed. */
  retryAfterMs: number;
}

/**
 * The TAT accumulates `windowMs / requests`, which is rarely a whole number of milliseconds; at epoch
 * timestamps the float error reaches ~1e-4 ms. Comparisons allow this much slack so that a burst of
 * exactly `requests` is always allowed.
 */
const SLACK_MS = 1e-3;

export function gcra(
  storedTat: number | undefined,
  now: number,
  policy: RateLimitPolicy,
): { decision: RateDecision; tat: number } {
  const interval = policy.windowMs / policy.requests;
  const tat = storedTat === undefined || storedTat < now ? now : storedTat;
  const newTat = tat + interval;
  const allowAt = newTat - policy.windowMs;
  if (allowAt - now > SLACK_MS) {
    return {
      tat,
      decision: {
        allowed: false,
        limit: policy.requests,
        windowMs: policy.windowMs,
        remaining: 0,
        resetMs: tat - now,
        retryAfterMs: allowAt - now,
      },
    };
  }
  return {
    tat: newTat,
    decision: {
      allowed: true,
      limit: policy.requests,
      windowMs: policy.windowMs,
      remaining: Math.max(0, Math.floor((policy.windowMs - (newTat - now) + SLACK_MS) / interval)),
      resetMs: newTat - now,
      retryAfterMs: 0,
    },
  };
}

/** Where TATs live. One call per decision; an implementation must apply `gcra` atomically per key. */
export interface RateLimitStore {
  consume(key: string, policy: RateLimitPolicy, now: number): RateDecision | Promise<RateDecision>;
}

/** Most keys one process tracks; beyond it the stalest are dropped (they would have allowed anyway). */
const MAX_KEYS = 1_000_000;

/** Per-process store. Exact on one node; in a cluster each node would count separately. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly tats = new Map<string, number>();

  consume(key: string, policy: RateLimitPolicy, now: number): RateDecision {
    const r = gcra(this.tats.get(key), now, policy);
    if (r.decision.allowed) {
      this.tats.delete(key);
      this.tats.set(key, r.tat);
      if (this.tats.size > MAX_KEYS) this.sweep(now);
    }
    return r.decision;
  }

  /** Drops keys whose TAT has passed: they are back to a full burst, the same as no entry. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [key, tat] of this.tats) {
      if (tat <= now || this.tats.size - dropped > MAX_KEYS) {
        this.tats.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.tats.size;
  }
}

/** "5 minutes", "1 hour", "90 seconds": the window as the seed's log line states it. */
export function describeWindow(windowMs: number): string {
  const s = Math.round(windowMs / 1000);
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s % 3600 === 0) return unit(s / 3600, 'hour');
  if (s % 60 === 0) return unit(s / 60, 'minute');
  return unit(s, 'second');
}
