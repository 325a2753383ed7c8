import type { AuthOutcome, GatewayDenial } from '../domain/auth/decide.js';
import { LeanCounter, LeanHistogram, registerLean, type CounterSeries } from './lean.js';
import type { Registry } from 'prom-client';

/**
 * Why the gateway refused a request, as a closed set for the `reason` label: a label value per
 * decision reason would grow with every new reason and split dashboards. `missing`: no credentials
 * where they are required (auth.requireAuthentication, browser sign-in).
 */
export const FAILURE_REASONS = [
  'revoked',
  'expired',
  'ip',
  'scope',
  'unknown',
  'malformed',
  'missing',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** The label of a gateway denial; the compiler checks every reason is mapped. */
export function failureReason(reason: GatewayDenial): FailureReason {
  switch (reason) {
    case 'revoked':
    case 'rotated': // a former secret past its grace period
    case 'user-disabled':
      return 'revoked';
    case 'expired':
      return 'expired';
    case 'ip-denied':
    case 'password-ip-denied':
    case 'session-ip-denied':
      return 'ip';
    case 'no-permission':
    case 'read-only':
      return 'scope';
    case 'unknown-token':
    case 'user-mismatch':
      return 'unknown';
    case 'malformed':
    case 'not-a-token':
    case 'token-in-url':
      return 'malformed';
    case 'no-credentials':
      return 'missing';
  }
}

/**
 * Upper bounds of the authentication step's duration, in seconds: a warm token takes microseconds,
 * a cache miss a database read (milliseconds), a slow database or Redis the upper buckets.
 */
export const AUTH_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.025, 0.1, 0.5];

/**
 * The authentication step's metrics, fed by the Gateway once per request: how long it took and, for
 * a refusal, why. Every series is bound here, at start-up.
 */
export class AuthMetrics {
  readonly duration = new LeanHistogram(
    'tokengate_auth_duration_seconds',
    "Time the gateway's authentication step took (proxy, forward-auth, middleware), from the request's facts to its outcome.",
    AUTH_BUCKETS,
  );
  private readonly failures = new LeanCounter(
    'tokengate_auth_failures_total',
    'Requests the gateway refused for their credentials (401 or 403), by reason.',
  );
  private readonly seriesOf = new Map<FailureReason, CounterSeries>();

  constructor(registry: Registry) {
    for (const reason of FAILURE_REASONS) this.seriesOf.set(reason, this.failures.bind({ reason }));
    registerLean(registry, this.duration);
    registerLean(registry, this.failures);
  }

  /** One authentication: its duration and, for a refusal of its credentials, the reason. */
  observe(outcome: AuthOutcome, seconds: number): void {
    this.duration.observe(seconds);
    // failureReason is a switch, and every reason's series is bound above: a lookup, no label text.
    if (outcome.kind === 'denied') this.seriesOf.get(failureReason(outcome.reason))?.inc();
  }
}
