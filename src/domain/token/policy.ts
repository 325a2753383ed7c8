import { AppError, invalidField } from '../errors.js';
import { normalizeCidrList } from '../auth/ip-rules.js';
import type { Settings } from '../settings.js';
import { MAX_DESCRIPTION_LENGTH, type RateLimitOverride, type Scope } from './token.js';

const DAY_MS = 86_400_000;
/** A hundred years: beyond that a validity is a typo. */
const MAX_VALIDITY_DAYS = 36_500;
/** C0 and C1 controls, and the bidirectional overrides that can make a description lie about itself. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** What a caller asks for when creating a token; shapes are already checked by the API schema. */
export interface TokenRequest {
  description: string;
  scope?: Scope;
  /** ISO 8601; null asks for a token that never expires. */
  expiresAt?: string | null;
  validityDays?: number;
  allowedIps?: string[];
  rateLimit?: RateLimitOverride;
}

/** The checked, canonical values of a new token. */
export interface TokenGrant {
  description: string;
  scope: Scope;
  expiresAt: number | null;
  allowedIps: string[] | null;
  rateLimit: RateLimitOverride | null;
}

export function checkDescription(raw: string, field = 'description'): string {
  const description = raw.trim();
  if (description.length === 0) throw invalidField(field, 'is required and must not be blank');
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalidField(
      field,
      `must be at most ${MAX_DESCRIPTION_LENGTH} characters (got ${description.length})`,
    );
  }
  if (CONTROL_CHARS.test(description)) {
    throw invalidField(field, 'must not contain control characters or direction overrides');
  }
  return description;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A calendar date (midnight UTC) or a date-time with an explicit zone; null otherwise. A date-time
 * without a zone would depend on the server's time zone, and "2030-02-30" must not roll over to March.
 */
export function parseIsoInstant(text: string): number | null {
  const m = ISO_DATE.exec(text) ?? ISO_DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day)
    return null;
  const at = Date.parse(ISO_DATE.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(at) ? null : at;
}

function policyError(message: string, limit: string, details: Record<string, unknown>): AppError {
  return new AppError('policy_violation', message, { limit, ...details });
}

function resolveExpiry(req: TokenRequest, settings: Settings, now: number): number | null {
  const max = settings['tokens.maxValidityDays'];
  const latest = max === null ? null : now + max * DAY_MS;
  const latestIso = latest === null ? null : new Date(latest).toISOString();
  const beyondMax = (asked: string): AppError =>
    policyError(
      `expiry ${asked} is beyond the maximum validity of ${max} days (tokens.maxValidityDays); the latest allowed expiry is ${latestIso}`,
      'tokens.maxValidityDays',
      { maxValidityDays: max, latestExpiresAt: latestIso },
    );

  if (req.expiresAt !== undefined && req.validityDays !== undefined) {
    throw invalidField('expiresAt', 'give either expiresAt or validityDays, not both');
  }
  if (req.expiresAt === null) {
    if (latest !== null) {
      throw policyError(
        `tokens must expire: the maximum validity is ${max} days (tokens.maxValidityDays); the latest allowed expiry is ${latestIso}`,
        'tokens.maxValidityDays',
        { maxValidityDays: max, latestExpiresAt: latestIso },
      );
    }
    return null;
  }
  if (req.expiresAt !== undefined) {
    const at = parseIsoInstant(req.expiresAt);
    if (at === null) {
      throw invalidField(
        'expiresAt',
        'must be an ISO 8601 date (2027-01-31, midnight UTC) or a date-time with a zone (2027-01-31T12:00:00Z)',
      );
    }
    if (at <= now)
      throw invalidField('expiresAt', `must be in the future (got ${new Date(at).toISOString()})`);
    if (latest !== null && at > latest) throw beyondMax(new Date(at).toISOString());
    return at;
  }
  if (req.validityDays !== undefined) {
    if (!Number.isInteger(req.validityDays) || req.validityDays < 1 || req.validityDays > MAX_VALIDITY_DAYS) {
      throw invalidField('validityDays', `must be a whole number of days from 1 to ${MAX_VALIDITY_DAYS}`);
    }
    if (latest !== null && max !== null && req.validityDays > max) {
      throw beyondMax(`in ${req.validityDays} days`);
    }
    return now + req.validityDays * DAY_MS;
  }
  const days = settings['tokens.defaultValidityDays'];
  if (days === null) return latest;
  return now + (max === null ? days : Math.min(days, max)) * DAY_MS;
}

/**
 * Checks a token request against the policy and returns the grant, or throws a 400 that names the
 * field or the limit. Pure: the caller supplies the settings, the clock and who is asking.
 *
 * @param selfCreated true when the creator is the owner; `tokens.forceReadOnly` applies only then.
 */
export function grantToken(
  req: TokenRequest,
  settings: Settings,
  now: number,
  selfCreated: boolean,
): TokenGrant {
  const description = checkDescription(req.description);
  const scope: Scope = req.scope ?? 'read';
  if (scope === 'write' && selfCreated && settings['tokens.forceReadOnly']) {
    throw policyError(
      'tokens.forceReadOnly is on: tokens you create for yourself are read-only',
      'tokens.forceReadOnly',
      {},
    );
  }
  const expiresAt = resolveExpiry(req, settings, now);
  let allowedIps: string[] | null = null;
  if (req.allowedIps !== undefined && req.allowedIps.length > 0) {
    const ips = normalizeCidrList(req.allowedIps);
    if (!ips.ok) throw invalidField('allowedIps', ips.error);
    allowedIps = ips.value;
  }
  return { description, scope, expiresAt, allowedIps, rateLimit: req.rateLimit ?? null };
}
