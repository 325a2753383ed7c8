import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  AppError,
  codeForStatus,
  ERROR_CATALOGUE,
  errorBody,
  errorHeaders,
  invalidField,
  WWW_AUTHENTICATE,
  type ErrorCode,
} from './errors.js';

const CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

describe('ERROR_CATALOGUE', () => {
  it('gives every code a 4xx or 5xx status and a summary', () => {
    assert.ok(CODES.length > 0);
    for (const code of CODES) {
      const { status, summary } = ERROR_CATALOGUE[code];
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
      assert.ok(summary.trim().length > 10, `${code} has no summary`);
    }
  });

  it('uses snake_case codes', () => {
    for (const code of CODES) assert.match(code, /^[a-z]+(_[a-z]+)*$/);
  });

  it('has the statuses the HTTP edge relies on', () => {
    assert.equal(ERROR_CATALOGUE.invalid_request.status, 400);
    assert.equal(ERROR_CATALOGUE.unauthorized.status, 401);
    assert.equal(ERROR_CATALOGUE.forbidden.status, 403);
    assert.equal(ERROR_CATALOGUE.method_not_allowed.status, 405);
    assert.equal(ERROR_CATALOGUE.precondition_failed.status, 412);
    assert.equal(ERROR_CATALOGUE.rate_limited.status, 429);
    assert.equal(ERROR_CATALOGUE.internal.status, 500);
  });
});

describe('errorHeaders', () => {
  it('gives a 401 the challenges and a 503 Retry-After: 5, and no other code any header', () => {
    for (const code of CODES) {
      const expected =
        code === 'unauthorized'
          ? { 'www-authenticate': WWW_AUTHENTICATE }
          : code === 'unavailable'
            ? { 'retry-after': '5' }
            : {};
      assert.deepEqual(errorHeaders(code), expected, code);
    }
    assert.deepEqual(WWW_AUTHENTICATE, [
      'Basic realm="tokengate", charset="UTF-8"',
      'Bearer realm="tokengate"',
    ]);
  });

  it('leaves the challenge out when asked, and nothing else', () => {
    assert.deepEqual(errorHeaders('unauthorized', { challenge: false }), {});
    assert.deepEqual(errorHeaders('unavailable', { challenge: false }), { 'retry-after': '5' });
    assert.deepEqual(errorHeaders('unauthorized', { challenge: true }), {
      'www-authenticate': WWW_AUTHENTICATE,
    });
  });

  it('hands out a copy of the challenges', () => {
    const headers = errorHeaders('unauthorized');
    (headers['www-authenticate'] as string[]).push('Digest');
    assert.equal(WWW_AUTHENTICATE.length, 2);
  });
});

describe('codeForStatus', () => {
  it('maps each status to the first code in the catalogue with it', () => {
    assert.deepEqual(
      [400, 401, 403, 404, 405, 408, 409, 412, 413, 415, 429, 500, 502, 503, 504].map((s) => [
        s,
        codeForStatus(s),
      ]),
      [
        [400, 'invalid_request'],
        [401, 'unauthorized'],
        [403, 'forbidden'],
        [404, 'not_found'],
        [405, 'method_not_allowed'],
        [408, 'request_timeout'],
        [409, 'conflict'],
        [412, 'precondition_failed'],
        [413, 'payload_too_large'],
        [415, 'unsupported_media_type'],
        [429, 'rate_limited'],
        [500, 'internal'],
        [502, 'bad_gateway'],
        [503, 'unavailable'],
        [504, 'gateway_timeout'],
      ],
    );
  });

  it('gives every code back its status, and nothing for a status the catalogue lacks', () => {
    for (const code of CODES) {
      const { status } = ERROR_CATALOGUE[code];
      const back = codeForStatus(status);
      assert.ok(back !== undefined && ERROR_CATALOGUE[back].status === status, `${code}: ${back}`);
    }
    for (const status of [0, 200, 418, 428, 431, 501])
      assert.equal(codeForStatus(status), undefined, String(status));
  });
});

describe('AppError', () => {
  it('takes its status from the catalogue for every code', () => {
    for (const code of CODES) {
      const err = new AppError(code, 'something');
      assert.equal(err.status, ERROR_CATALOGUE[code].status, code);
      assert.equal(err.code, code);
      assert.equal(err.message, 'something');
      assert.equal(err.name, 'AppError');
      assert.equal(err.details, undefined);
      assert.ok(err instanceof Error);
    }
  });

  it('keeps details', () => {
    const err = new AppError('policy_violation', 'too long', { limit: 'tokens.maxValidityDays' });
    assert.equal(err.status, 400);
    assert.deepEqual(err.details, { limit: 'tokens.maxValidityDays' });
  });

  it('invalidField builds a 400 naming the field in message and details', () => {
    const err = invalidField('body.description', 'must not be blank');
    assert.equal(err.code, 'invalid_request');
    assert.equal(err.status, 400);
    assert.equal(err.message, 'body.description: must not be blank');
    assert.deepEqual(err.details, [{ field: 'body.description', message: 'must not be blank' }]);
  });
});

describe('errorBody', () => {
  it('omits details when they are undefined', () => {
    const body = errorBody(new AppError('not_found', 'no such token'));
    assert.deepEqual(body, { error: { code: 'not_found', message: 'no such token' } });
    assert.equal('details' in body.error, false);
    assert.equal(JSON.stringify(body), '{"error":{"code":"not_found","message":"no such token"}}');
  });

  it('includes details when given, even empty ones', () => {
    assert.deepEqual(errorBody(new AppError('conflict', 'exists', { user: 'alice' })), {
      error: { code: 'conflict', message: 'exists', details: { user: 'alice' } },
    });
    assert.deepEqual(errorBody(new AppError('invalid_request', 'bad', [])), {
      error: { code: 'invalid_request', message: 'bad', details: [] },
    });
  });

  it('never includes the status or the stack', () => {
    const body = errorBody(new AppError('internal', 'fault'));
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  });
});

describe('docs/api.md', () => {
  it('documents every error code', () => {
    // docs/api.md is written separately; until it exists this test fails on purpose.
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const missing = CODES.filter((code) => !new RegExp(`(?<![A-Za-z0-9_])${code}(?![A-Za-z0-9_])`).test(doc));
    assert.deepEqual(missing, [], `error codes missing from docs/api.md: ${missing.join(', ')}`);
  });
});
