import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthOutcome, Block } from './decide.js';
import type { RateDecision } from './rate-limit.js';
import {
  blockReason,
  MALFORMED_MESSAGE,
  PASSWORD_FAILED_MESSAGE,
  render,
  type RenderContext,
} from './render.js';
import { defaultSettings, type Settings } from '../settings.js';
import { ownerFixture, tokenFixture } from '../../../test/support/domain-fixtures.js';

const NOW = Date.UTC(2030, 5, 1);
const TOKEN = tokenFixture(NOW, { scope: 'write' });
const USER = ownerFixture(NOW);
const TAKEN: RateDecision = {
  allowed: true,
  limit: 10,
  windowMs: 60_000,
  remaining: 9,
  resetMs: 6_000,
  retryAfterMs: 0,
};
const SPENT: RateDecision = {
  allowed: false,
  limit: 10,
  windowMs: 60_000,
  remaining: 0,
  resetMs: 60_000,
  retryAfterMs: 6_000,
};

function ctx(change: Partial<Settings> = {}, rate: RateDecision | null = null): RenderContext {
  return { method: 'POST', clientIp: '192.0.2.10', settings: { ...defaultSettings(), ...change }, rate };
}

const GOES_ON = { allowed: true, identity: null, status: 0, message: '', rate: null };

describe('render', () => {
  it('anonymous, passed-on and a checked password go on, telling the upstream of no one', () => {
    const outcomes: AuthOutcome[] = [
      { kind: 'anonymous' },
      { kind: 'passed-on', username: 'bob' },
      { kind: 'password', user: USER },
    ];
    for (const o of outcomes) assert.deepEqual(render(o, ctx()), GOES_ON);
  });

  it('authenticated: the identity, and the rate-limit take for the RateLimit headers', () => {
    assert.deepEqual(render({ kind: 'authenticated', token: TOKEN, user: USER }, ctx({}, TAKEN)), {
      allowed: true,
      identity: { user: 'alice', tokenId: TOKEN.id, scope: 'write' },
      status: 0,
      message: '',
      rate: TAKEN,
    });
  });

  it("denied: the denial's status and the client's words for its reason", () => {
    const r = render(
      { kind: 'denied', status: 403, reason: 'read-only', username: 'alice', token: TOKEN },
      ctx(),
    );
    assert.equal(r.allowed, false);
    assert.equal(r.status, 403);
    assert.equal(r.identity, null);
    assert.equal(r.rate, null);
    assert.equal(
      r.message,
      'authentication failed: The token scope is read-only and only covers GET, HEAD and OPTIONS requests. Request method type was POST',
    );
    const m = render(
      { kind: 'denied', status: 401, reason: 'malformed', username: null, token: null },
      ctx(),
    );
    assert.deepEqual([m.status, m.message], [401, `authentication failed: ${MALFORMED_MESSAGE}`]);
  });

  it('denied: says when passwords are off (auth.basicPasswords)', () => {
    const o: AuthOutcome = {
      kind: 'denied',
      status: 401,
      reason: 'unknown-token',
      username: null,
      token: null,
    };
    assert.equal(
      render(o, ctx({ 'auth.basicPasswords': true })).message,
      'authentication failed: No matching API token was found',
    );
    assert.equal(
      render(o, ctx({ 'auth.basicPasswords': false })).message,
      'authentication failed: No matching API token was found and basic auth with password is disabled',
    );
  });

  it('a wrong directory password: 401', () => {
    assert.deepEqual(render({ kind: 'password-failed', username: 'alice' }, ctx()), {
      allowed: false,
      identity: null,
      status: 401,
      message: PASSWORD_FAILED_MESSAGE,
      rate: null,
    });
  });

  it('rate-limited: 429 with the spent limit (Retry-After comes from it)', () => {
    const r = render({ kind: 'rate-limited', token: TOKEN, user: USER, decision: SPENT }, ctx({}, SPENT));
    assert.deepEqual(r, {
      allowed: false,
      identity: null,
      status: 429,
      message: 'rate limit exceeded: 10 requests per 60 seconds for this token',
      rate: SPENT,
    });
  });

  it('blocked: 429, the reason, and the failures allowed per window as a spent limit', () => {
    const block: Block = { subject: 'ip', value: '192.0.2.66', retryAfterMs: 29_001 };
    const settings = { 'bruteForce.ipMaxFailures': 20, 'bruteForce.windowSeconds': 300 };
    assert.deepEqual(render({ kind: 'blocked', block }, ctx(settings)), {
      allowed: false,
      identity: null,
      status: 429,
      message:
        'authentication failed: Too many failed authentication attempts from IP address 192.0.2.66; try again in 30 seconds',
      rate: {
        allowed: false,
        limit: 20,
        windowMs: 300_000,
        remaining: 0,
        resetMs: 29_001,
        retryAfterMs: 29_001,
      },
    });
  });
});

describe('blockReason', () => {
  it('names the subject and rounds the wait up to whole seconds (at least one)', () => {
    assert.equal(
      blockReason({ subject: 'user', value: 'alice', retryAfterMs: 1 }),
      'Too many failed authentication attempts for user alice from this address; try again in 1 second',
    );
  });
});
