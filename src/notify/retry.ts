import { setTimeout as sleep } from 'node:timers/promises';

/** What one delivery attempt came to. `retry`: whether another attempt can help (network, 5xx, 429). */
export type Attempt = { ok: true; note: string } | { ok: false; retry: boolean; reason: string };

export interface RetryPlan {
  maxAttempts: number;
  /** The pause before the second attempt; it doubles before each one after (1 s, 2 s, 4 s…). */
  backoffMs: number;
  /** Aborted when the notifier closes: no further attempt starts. */
  signal: AbortSignal;
  /** Told of each failed attempt that will be retried, with the pause before the next. */
  onRetry(attempt: number, reason: string, delayMs: number): void;
}

export type Outcome =
  | { ok: true; attempts: number; note: string }
  | { ok: false; attempts: number; reason: string; gaveUp: boolean };

/** The pause after failed attempt `n` (1-based): backoffMs · 2^(n-1). */
export function backoffDelay(backoffMs: number, n: number): number {
  return backoffMs * 2 ** (n - 1);
}

/**
 * Runs `attempt` until it succeeds, fails for good, or `maxAttempts` were made, pausing with
 * exponential back-off in between. Never rejects: an attempt that throws counts as retryable.
 */
export async function withRetries(
  plan: RetryPlan,
  attempt: (n: number) => Promise<Attempt>,
): Promise<Outcome> {
  for (let n = 1; ; n++) {
    let a: Attempt;
    try {
      a = await attempt(n);
    } catch (err) {
      a = { ok: false, retry: true, reason: err instanceof Error ? err.message : String(err) };
    }
    if (a.ok) return { ok: true, attempts: n, note: a.note };
    if (!a.retry) return { ok: false, attempts: n, reason: a.reason, gaveUp: false };
    if (n >= plan.maxAttempts || plan.signal.aborted)
      return { ok: false, attempts: n, reason: a.reason, gaveUp: true };
    const delay = backoffDelay(plan.backoffMs, n);
    plan.onRetry(n, a.reason, delay);
    try {
      await sleep(delay, undefined, { signal: plan.signal });
    } catch {
      return { ok: false, attempts: n, reason: `${a.reason}; stopped while waiting to retry`, gaveUp: true };
    }
  }
}
