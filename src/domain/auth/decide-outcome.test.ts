import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, isGuess, ratePolicy, type Block, type GatewayOutcome } from './decide.js';
import type { RateDecision } from './rate-limit.js';
import { defaultSettings } from '../settings.js';
import { ownerFixture, tokenFixture } from '../../../test/support/domain-fixtures.js';

const NOW = Date.UTC(2030, 5, 1);
const TOKEN = tokenFixture(NOW);
const USER = ownerFixture(NOW);
const BLOCK: Block = { subject: 'ip', value: '192.0.2.66', retryAfterMs: 30_000 };
const AUTHENTICATED: GatewayOutcome = { kind: 'authenticated', token: TOKEN, user: USER };

function rate(allowed: boolean): RateDecision {
  return allowed
    ? { allowed, limit: 10, windowMs: 60_000, remaining: 9, resetMs: 6_000, retryAfterMs: 0 }
    : { allowed, limit: 10, windowMs: 60_000, remaining: 0, resetMs: 60_000, retryAfterMs: 6_000 };
}

function denied(reason: Extract<GatewayOutcome, { kind: 'denied' }>['reason']): GatewayOutcome {
  return { kind: 'denied', status: 401, reason, username: 'alice', token: null };
}

describe('decide', () => {
  it('a block refuses before anything else, with no effects', () => {
    assert.deepEqual(decide({ block: BLOCK }), { outcome: { kind: 'blocked', block: BLOCK }, effects: [] });
  });

  it('anonymous and passed-on requests go on with no effects', () => {
    for (const d of [{ kind: 'anonymous' }, { kind: 'passed-on', username: 'bob' }] as const) {
      assert.deepEqual(decide({ block: null, decision: d, rate: null }), { outcome: d, effects: [] });
    }
  });

  it('an authenticated request within its limit (or under none) records the use', () => {
    for (const r of [null, rate(true)]) {
      const out = decide({ block: null, decision: AUTHENTICATED, rate: r });
      assert.equal(out.outcome, AUTHENTICATED);
      assert.deepEqual(out.effects, ['record-use']);
    }
  });

  it('a spent rate limit refuses an authenticated request and records no use', () => {
    const spent = rate(false);
    assert.deepEqual(decide({ block: null, decision: AUTHENTICATED, rate: spent }), {
      outcome: { kind: 'rate-limited', token: TOKEN, user: USER, decision: spent },
      effects: [],
    });
  });

  it('a guess counts against the client; other denials do not', () => {
    for (const reason of ['unknown-token', 'user-mismatch'] as const) {
      const d = denied(reason);
      assert.deepEqual(decide({ block: null, decision: d, rate: null }), {
        outcome: d,
        effects: ['count-failure'],
      });
      assert.ok(isGuess(reason));
    }
    for (const reason of [
      'expired',
      'revoked',
      'read-only',
      'ip-denied',
      'malformed',
      'no-credentials',
    ] as const) {
      const d = denied(reason);
      assert.deepEqual(decide({ block: null, decision: d, rate: null }), { outcome: d, effects: [] });
      assert.equal(isGuess(reason), false);
    }
  });
});

describe('ratePolicy', () => {
  it("a token's own limit always applies", () => {
    const own = tokenFixture(NOW, { rateLimit: { requests: 5, windowSeconds: 10 } });
    assert.deepEqual(ratePolicy(own, defaultSettings()), { requests: 5, windowMs: 10_000 });
  });

  it('the global limit only while rateLimit.enabled is on', () => {
    const off = { ...defaultSettings(), 'rateLimit.enabled': false };
    assert.equal(ratePolicy(TOKEN, off), null);
    const on = {
      ...defaultSettings(),
      'rateLimit.enabled': true,
      'rateLimit.requests': 7,
      'rateLimit.windowSeconds': 3,
    };
    assert.deepEqual(ratePolicy(TOKEN, on), { requests: 7, windowMs: 3_000 });
  });
});
