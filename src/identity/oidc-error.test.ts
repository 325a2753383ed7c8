import assert from 'node:assert/strict';
import { test } from 'node:test';

import { OidcError, toOidcError } from './oidc-error.js';

/** Shapes of what openid-client throws: a ClientError with a code wrapping the oauth4webapi error. */
function clientError(code: string, cause?: unknown): Error {
  return Object.assign(new Error('library message with secret-token-value'), { code, cause });
}

test('library errors map to reasons, keeping only the code or claim name', () => {
  const cases: [unknown, string, string | undefined][] = [
    [clientError('OAUTH_JWT_TIMESTAMP_CHECK_FAILED', { cause: { claim: 'exp' } }), 'expired', 'exp'],
    [clientError('OAUTH_JWT_CLAIM_COMPARISON_FAILED', { cause: { claim: 'nonce' } }), 'nonce', undefined],
    [clientError('OAUTH_JWT_CLAIM_COMPARISON_FAILED', { cause: { claim: 'iss' } }), 'issuer', undefined],
    [clientError('OAUTH_JWT_CLAIM_COMPARISON_FAILED', { cause: { claim: 'aud' } }), 'provider-error', 'aud'],
    [clientError('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED', { attribute: 'issuer' }), 'issuer', undefined],
    [clientError('OAUTH_TIMEOUT'), 'unavailable', 'OAUTH_TIMEOUT'],
    [clientError('OAUTH_RESPONSE_IS_NOT_CONFORM'), 'unavailable', 'OAUTH_RESPONSE_IS_NOT_CONFORM'],
    [new TypeError('fetch failed'), 'unavailable', undefined],
    [Object.assign(new Error('x'), { error: 'invalid_grant' }), 'provider-error', 'invalid_grant'],
    [Object.assign(new Error('x'), { error: 'secret value with spaces' }), 'provider-error', undefined],
    [clientError('OAUTH_INVALID_RESPONSE'), 'provider-error', 'OAUTH_INVALID_RESPONSE'],
    ['a string', 'provider-error', undefined],
  ];
  for (const [err, reason, detail] of cases) {
    const mapped = toOidcError(err);
    assert.equal(mapped.reason, reason, String(err));
    assert.equal(mapped.detail, detail, String(err));
    assert.ok(!mapped.message.includes('secret'));
    assert.equal(mapped.cause, undefined);
  }
});

test('an OidcError passes through; only unavailable is retryable', () => {
  const e = new OidcError('state-mismatch');
  assert.equal(toOidcError(e), e);
  assert.equal(e.retryable, false);
  assert.equal(new OidcError('unavailable').retryable, true);
  assert.equal(e.name, 'OidcError');
});
