/**
 * Why an OpenID Connect sign-in, refresh or discovery did not succeed. Messages are fixed per reason
 * (plus, at most, the name of a claim or of the library's error code), so nothing that came from the
 * provider or the browser (codes, tokens, secrets, raw claim values) can reach a log line through them.
 */
export type OidcErrorReason =
  /** The callback's `state` is not the one this browser's pending sign-in expects (CSRF, replay, mix-up). */
  | 'state-mismatch'
  /** The response or the ID token names another issuer than the configured one. */
  | 'issuer'
  /** The ID token has expired (or is not yet valid), beyond the configured clock tolerance. */
  | 'expired'
  /** The ID token's nonce is not the one this sign-in sent. */
  | 'nonce'
  /** The provider refused (access_denied, invalid_grant, …) or answered in a way that fails validation. */
  | 'provider-error'
  /** The provider could not be reached or answered with a server error: a retry later may help. */
  | 'unavailable'
  /** The identity is unusable here: no username claim, a name tokengate cannot hold, malformed groups. */
  | 'claims';

const MESSAGES: Record<OidcErrorReason, string> = {
  'state-mismatch': 'the sign-in response does not belong to this sign-in (state mismatch)',
  issuer: 'the sign-in response comes from an unexpected issuer',
  expired: 'the ID token has expired or is not yet valid',
  nonce: 'the ID token does not belong to this sign-in (nonce mismatch)',
  'provider-error': 'the identity provider refused the sign-in or sent an invalid response',
  unavailable: 'the identity provider is unavailable',
  claims: 'the identity provider did not send a usable identity',
};

export class OidcError extends Error {
  override readonly name = 'OidcError';
  /** True when trying again later may succeed (the provider was down), false for a refusal. */
  readonly retryable: boolean;

  constructor(
    readonly reason: OidcErrorReason,
    /** A short, safe detail: a claim name or the library's error code, never a value from the provider. */
    readonly detail?: string,
  ) {
    super(detail === undefined ? MESSAGES[reason] : `${MESSAGES[reason]} (${detail})`);
    this.retryable = reason === 'unavailable';
  }
}

/** Error codes of openid-client / oauth4webapi that this mapping looks at. */
const TIMESTAMP_CHECK = 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED';
const CLAIM_COMPARISON = 'OAUTH_JWT_CLAIM_COMPARISON_FAILED';
const ATTRIBUTE_COMPARISON = 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
const UNAVAILABLE_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM']);

/**
 * The OidcError for anything openid-client threw. The library's own error keeps its message and cause
 * (which may carry token responses) out of ours: only its code and the name of the failing claim survive.
 */
export function toOidcError(err: unknown): OidcError {
  if (err instanceof OidcError) return err;
  const code = stringField(err, 'code');
  const claim = failedClaim(err);
  if (code === TIMESTAMP_CHECK) return new OidcError('expired', claim);
  if (code === CLAIM_COMPARISON || code === ATTRIBUTE_COMPARISON) {
    if (claim === 'nonce') return new OidcError('nonce');
    if (claim === 'iss' || claim === 'issuer') return new OidcError('issuer');
    return new OidcError('provider-error', claim ?? code);
  }
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return new OidcError('unavailable', code);
  // fetch() failing to connect is a TypeError without a code (argument errors carry ERR_INVALID_*).
  if (err instanceof TypeError && code === undefined) return new OidcError('unavailable');
  // ResponseBodyError / AuthorizationResponseError carry the OAuth `error` code, a fixed vocabulary.
  const oauthError = stringField(err, 'error');
  if (oauthError !== undefined && /^[a-z_]{1,64}$/.test(oauthError)) {
    return new OidcError('provider-error', oauthError);
  }
  return new OidcError('provider-error', code);
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

/** The claim or attribute named in the library's error cause, up to two levels deep. */
function failedClaim(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 3 && typeof current === 'object' && current !== null; depth++) {
    const name = stringField(current, 'claim') ?? stringField(current, 'attribute');
    if (name !== undefined && /^[A-Za-z_]{1,32}$/.test(name)) return name;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
