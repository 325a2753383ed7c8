import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { GatewayDenial } from '../domain/auth/decide.js';
import { AuthMetrics, FAILURE_REASONS, failureReason } from './auth-metrics.js';

/** Every reason the decision gives (domain/auth/decide.ts, token-decision.ts), as the issue groups them. */
const EXPECTED: Record<GatewayDenial, string> = {
  revoked: 'revoked',
  rotated: 'revoked',
  'user-disabled': 'revoked',
  expired: 'expired',
  'ip-denied': 'ip',
  'password-ip-denied': 'ip',
  'session-ip-denied': 'ip',
  'no-permission': 'scope',
  'read-only': 'scope',
  'unknown-token': 'unknown',
  'user-mismatch': 'unknown',
  malformed: 'malformed',
  'not-a-token': 'malformed',
  'token-in-url': 'malformed',
  'no-credentials': 'missing',
};

describe('failure reasons', () => {
  it('maps every decision reason into the closed set', () => {
    for (const [reason, label] of Object.entries(EXPECTED)) {
      assert.equal(failureReason(reason as GatewayDenial), label, reason);
      assert.ok((FAILURE_REASONS as readonly string[]).includes(label));
    }
  });

  it('uses every label of the closed set', () => {
    assert.deepEqual(new Set(Object.values(EXPECTED)), new Set(FAILURE_REASONS));
  });

  it('counts a denial under its label, other outcomes only in the duration', async () => {
    const registry = new Registry();
    const m = new AuthMetrics(registry);
    m.observe({ kind: 'denied', status: 401, reason: 'rotated', username: null, token: null }, 0.00002);
    m.observe({ kind: 'denied', status: 401, reason: 'revoked', username: null, token: null }, 0.00002);
    m.observe({ kind: 'anonymous' }, 0.002);
    const failures = await registry.getSingleMetricAsString('tokengate_auth_failures_total');
    assert.match(failures, /^tokengate_auth_failures_total\{reason="revoked"\} 2$/m);
    assert.match(failures, /^tokengate_auth_failures_total\{reason="missing"\} 0$/m);
    const duration = await registry.getSingleMetricAsString('tokengate_auth_duration_seconds');
    assert.match(duration, /^tokengate_auth_duration_seconds_bucket\{le="0.0001"\} 2$/m);
    assert.match(duration, /^tokengate_auth_duration_seconds_bucket\{le="0.005"\} 3$/m);
    assert.match(duration, /^tokengate_auth_duration_seconds_count 3$/m);
  });
});
