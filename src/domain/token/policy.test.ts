import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, type ErrorCode } from '../errors.js';
import { defaultSettings, type Settings } from '../settings.js';
import { grantToken, parseIsoInstant, type TokenRequest } from './policy.js';

const DAY = 86_400_000;
/** A fixed clock: 2030-01-15T12:00:00.000Z. */
const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

function settings(overrides: Partial<Settings> = {}): Settings {
  return { ...defaultSettings(), ...overrides };
}

function grant(req: Partial<TokenRequest>, s: Settings = settings(), selfCreated = true) {
  return grantToken({ description: 'ci deploy', ...req }, s, NOW, selfCreated);
}

/** Asserts that `fn` throws an AppError with this code and returns it for further checks. */
function appError(fn: () => unknown, code: ErrorCode): AppError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AppError, `expected an AppError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.status, 400);
  return caught;
}

/** An invalid_request that names `field` in its message and its details. */
function assertInvalidField(fn: () => unknown, field: string): AppError {
  const err = appError(fn, 'invalid_request');
  assert.ok(err.message.startsWith(`${field}: `), err.message);
  assert.ok(Array.isArray(err.details));
  assert.equal(err.details[0]?.field, field);
  return err;
}

describe('grantToken: expiry', () => {
  it('uses tokens.defaultValidityDays when nothing is asked', () => {
    assert.equal(settings()['tokens.defaultValidityDays'], 90);
    assert.equal(grant({}).expiresAt, NOW + 90 * DAY);
    assert.equal(grant({}, settings({ 'tokens.defaultValidityDays': 7 })).expiresAt, NOW + 7 * DAY);
  });

  it('caps the default at the maximum', () => {
    const s = settings({ 'tokens.defaultValidityDays': 400, 'tokens.maxValidityDays': 365 });
    assert.equal(grant({}, s).expiresAt, NOW + 365 * DAY);
  });

  it('gives a never-expiring default only when there is no maximum', () => {
    const s = settings({ 'tokens.defaultValidityDays': null, 'tokens.maxValidityDays': null });
    assert.equal(grant({}, s).expiresAt, null);
  });

  it('uses validityDays', () => {
    assert.equal(grant({ validityDays: 30 }).expiresAt, NOW + 30 * DAY);
    assert.equal(grant({ validityDays: 365 }).expiresAt, NOW + 365 * DAY);
    const noMax = settings({ 'tokens.maxValidityDays': null });
    assert.equal(grant({ validityDays: 3650 }, noMax).expiresAt, NOW + 3650 * DAY);
  });

  it('refuses validityDays beyond the maximum, naming the latest allowed date', () => {
    const err = appError(() => grant({ validityDays: 366 }), 'policy_violation');
    const latest = iso(NOW + 365 * DAY);
    assert.ok(err.message.includes(latest), err.message);
    assert.ok(err.message.includes('tokens.maxValidityDays'), err.message);
    assert.deepEqual(err.details, {
      limit: 'tokens.maxValidityDays',
      maxValidityDays: 365,
      latestExpiresAt: latest,
    });
  });

  it('uses an ISO expiresAt, date-time or date', () => {
    assert.equal(grant({ expiresAt: '2030-02-01T00:00:00Z' }).expiresAt, Date.UTC(2030, 1, 1));
    assert.equal(grant({ expiresAt: '2030-02-01T01:00:00+01:00' }).expiresAt, Date.UTC(2030, 1, 1));
    assert.equal(grant({ expiresAt: '2030-02-01' }).expiresAt, Date.UTC(2030, 1, 1));
  });

  it('refuses an expiresAt in the past or now as invalid_request naming expiresAt', () => {
    const past = assertInvalidField(() => grant({ expiresAt: '2029-12-31T00:00:00Z' }), 'expiresAt');
    assert.match(past.message, /future/);
    assertInvalidField(() => grant({ expiresAt: iso(NOW) }), 'expiresAt');
    assert.equal(grant({ expiresAt: iso(NOW + 1) }).expiresAt, NOW + 1);
  });

  it('refuses an expiresAt that is not an ISO date', () => {
    for (const bad of ['tomorrow', '01/02/2031', '', '2031', 'not 2031-01-01']) {
      assertInvalidField(() => grant({ expiresAt: bad }), 'expiresAt');
    }
  });

  it('refuses an expiresAt beyond the maximum, naming the latest allowed ISO date', () => {
    const latest = NOW + 365 * DAY;
    assert.equal(grant({ expiresAt: iso(latest) }).expiresAt, latest);
    const err = appError(() => grant({ expiresAt: iso(latest + 1000) }), 'policy_violation');
    assert.ok(err.message.includes(iso(latest)), err.message);
    assert.ok(err.message.includes(iso(latest + 1000)), err.message);
    assert.deepEqual(err.details, {
      limit: 'tokens.maxValidityDays',
      maxValidityDays: 365,
      latestExpiresAt: iso(latest),
    });
    const tight = settings({ 'tokens.maxValidityDays': 1, 'tokens.defaultValidityDays': 1 });
    const err2 = appError(() => grant({ expiresAt: iso(NOW + 2 * DAY) }, tight), 'policy_violation');
    assert.ok(err2.message.includes('2030-01-16T12:00:00.000Z'), err2.message);
  });

  it('refuses expiresAt null (never expires) while a maximum is set', () => {
    const err = appError(() => grant({ expiresAt: null }), 'policy_violation');
    assert.ok(err.message.includes(iso(NOW + 365 * DAY)), err.message);
    assert.match(err.message, /must expire/);
  });

  it('allows expiresAt null when there is no maximum', () => {
    const noMax = settings({ 'tokens.maxValidityDays': null });
    assert.equal(grant({ expiresAt: null }, noMax).expiresAt, null);
    assert.equal(grant({ expiresAt: '2100-01-01T00:00:00Z' }, noMax).expiresAt, Date.UTC(2100, 0, 1));
  });

  it('refuses expiresAt and validityDays together', () => {
    const err = assertInvalidField(
      () => grant({ expiresAt: '2030-02-01T00:00:00Z', validityDays: 10 }),
      'expiresAt',
    );
    assert.match(err.message, /validityDays/);
    assertInvalidField(() => grant({ expiresAt: null, validityDays: 10 }), 'expiresAt');
  });
});

describe('grantToken: description', () => {
  it('trims the description', () => {
    assert.equal(grant({ description: '  nightly backup \n' }).description, 'nightly backup');
  });

  it('refuses a blank description', () => {
    for (const blank of ['', '   ', '\t\n'])
      assertInvalidField(() => grant({ description: blank }), 'description');
  });

  it('accepts 255 characters and refuses 256', () => {
    assert.equal(grant({ description: 'x'.repeat(255) }).description.length, 255);
    const err = assertInvalidField(() => grant({ description: 'x'.repeat(256) }), 'description');
    assert.match(err.message, /255/);
  });

  it('refuses control characters', () => {
    for (const bad of ['a\u0000b', 'line\nbreak', 'bell\u0007', 'esc\u001b[31m', 'del\u007f']) {
      assertInvalidField(() => grant({ description: bad }), 'description');
    }
  });
});

describe('grantToken: scope', () => {
  it('defaults to read', () => {
    assert.equal(grant({}).scope, 'read');
    assert.equal(grant({ scope: 'write' }).scope, 'write');
  });

  it('with tokens.forceReadOnly, refuses write only for tokens users create for themselves', () => {
    const s = settings({ 'tokens.forceReadOnly': true });
    const err = appError(() => grant({ scope: 'write' }, s, true), 'policy_violation');
    assert.match(err.message, /tokens\.forceReadOnly/);
    assert.deepEqual(err.details, { limit: 'tokens.forceReadOnly' });
    assert.equal(grant({ scope: 'write' }, s, false).scope, 'write');
    assert.equal(grant({ scope: 'read' }, s, true).scope, 'read');
    assert.equal(grant({}, s, true).scope, 'read');
  });
});

describe('grantToken: allowedIps and rateLimit', () => {
  it('canonicalizes allowedIps; an empty list means no restriction', () => {
    assert.deepEqual(grant({ allowedIps: ['192.0.2.7', '192.0.2.7/32', '2001:DB8::/32'] }).allowedIps, [
      '192.0.2.7/32',
      '2001:db8::/32',
    ]);
    assert.equal(grant({ allowedIps: [] }).allowedIps, null);
    assert.equal(grant({}).allowedIps, null);
  });

  it('refuses an invalid CIDR naming allowedIps', () => {
    const err = assertInvalidField(() => grant({ allowedIps: ['10.0.0.0/8', 'bogus'] }), 'allowedIps');
    assert.match(err.message, /bogus/);
    const hostBits = assertInvalidField(() => grant({ allowedIps: ['10.1.2.3/8'] }), 'allowedIps');
    assert.match(hostBits.message, /did you mean 10\.0\.0\.0\/8/);
  });

  it('passes a rate limit through', () => {
    assert.deepEqual(grant({ rateLimit: { requests: 10, windowSeconds: 60 } }).rateLimit, {
      requests: 10,
      windowSeconds: 60,
    });
    assert.equal(grant({}).rateLimit, null);
  });

  it('returns the whole grant', () => {
    assert.deepEqual(grant({ description: 'x', scope: 'write', validityDays: 1, allowedIps: ['10.0.0.1'] }), {
      description: 'x',
      scope: 'write',
      expiresAt: NOW + DAY,
      allowedIps: ['10.0.0.1/32'],
      rateLimit: null,
    });
  });
});

describe('strict expiry dates', () => {
  it('reads a calendar date as midnight UTC and a date-time only with a zone', () => {
    assert.equal(parseIsoInstant('2030-03-01'), Date.UTC(2030, 2, 1));
    assert.equal(parseIsoInstant('2030-03-01T12:30:00+02:00'), Date.UTC(2030, 2, 1, 10, 30));
    assert.equal(parseIsoInstant('2030-03-01T12:30:00.123Z'), Date.UTC(2030, 2, 1, 12, 30, 0, 123));
  });

  it('refuses impossible dates, zoneless date-times and other text', () => {
    for (const text of ['2030-02-30', '2030-13-01', '2030-03-01T00:00:00', 'next week', '2030-3-1', '']) {
      assert.equal(parseIsoInstant(text), null, text);
    }
    assertInvalidField(() => grant({ expiresAt: '2030-02-30' }), 'expiresAt');
  });

  it('refuses C1 controls and direction overrides in descriptions', () => {
    assertInvalidField(() => grant({ description: 'a\u009b31mb' }), 'description');
    assertInvalidField(() => grant({ description: 'invoice\u202efdp.exe' }), 'description');
  });
});
