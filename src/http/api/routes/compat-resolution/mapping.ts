import { invalidField } from '../../../../domain/errors.js';
import { parseIsoInstant } from '../../../../domain/token/policy.js';
import type { Scope, TokenRecord } from '../../../../domain/token/token.js';
import type { TokenFilter } from '../../../../store/token-repo.js';
import type { CompatCreateBody, CompatFilterQuery } from './schemas.js';

/**
 * Pure translations between the seed app's REST shapes and tokengate's: epoch milliseconds, scope
 * numbers, calendar months, the filter parameters and the Spring-style page.
 */

const DAY_MS = 86_400_000;

export const SCOPE_NUMBER: Record<Scope, 1 | 2> = { read: 1, write: 2 };
const SCOPE_BY_NUMBER: Record<number, Scope | undefined> = { 1: 'read', 2: 'write' };

export interface CompatToken {
  id: string;
  description: string;
  created: number;
  lastAccessed: number;
  validUntil: number;
  tokenScope: 1 | 2;
  userKey: string;
  userName: string;
}

/** A token as the original lists it. "Never" is 0, as the original shows a token never used. */
export function toCompatToken(t: TokenRecord): CompatToken {
  return {
    id: t.id,
    description: t.description,
    created: t.createdAt,
    lastAccessed: t.lastUsedAt ?? 0,
    validUntil: t.expiresAt ?? 0,
    tokenScope: SCOPE_NUMBER[t.scope],
    userKey: t.user,
    userName: t.user,
  };
}

export interface CompatPage {
  content: CompatToken[];
  totalElements: number;
  totalPages: number;
  number: number;
  size: number;
  numberOfElements: number;
  first: boolean;
  last: boolean;
  empty: boolean;
}

/** Page `number` (from 0) of `size` out of all matches, with Spring Data's page fields. */
export function toPage(all: readonly TokenRecord[], number: number, size: number): CompatPage {
  const content = all.slice(number * size, (number + 1) * size).map(toCompatToken);
  const totalPages = Math.ceil(all.length / size);
  return {
    content,
    totalElements: all.length,
    totalPages,
    number,
    size,
    numberOfElements: content.length,
    first: number === 0,
    last: number >= totalPages - 1,
    empty: content.length === 0,
  };
}

/** `now` plus `months` calendar months (UTC); the 31st plus one month is the last day of the next month. */
export function addMonths(now: number, months: number): number {
  const d = new Date(now);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(
    year,
    month,
    Math.min(d.getUTCDate(), lastDay),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

const EXPIRY_FIELDS = [
  'tokenValidityTimeInMonths',
  'tokenExpirationDateTime',
  'tokenExpirationDateTimeMillis',
] as const;

/**
 * The expiry a create request asks for, as tokengate's `expiresAt` (ISO 8601), or undefined for the
 * default validity. Months that come to at most one day past `maxValidityDays` are cut to the maximum:
 * 12 months over a 29 February is 366 days, and the original's "1 year" maximum allowed 12 months.
 * Anything further beyond the maximum is left to the token policy, which refuses it.
 */
export function requestedExpiry(
  body: CompatCreateBody,
  now: number,
  maxValidityDays: number | null,
): string | undefined {
  const given = EXPIRY_FIELDS.filter((f) => body[f] !== undefined);
  const second = given[1];
  if (second !== undefined) {
    throw invalidField(
      second,
      `give only one of ${EXPIRY_FIELDS.join(', ')} (${given[0] ?? ''} is given too)`,
    );
  }
  let at: number;
  if (body.tokenValidityTimeInMonths !== undefined) {
    at = addMonths(now, body.tokenValidityTimeInMonths);
    if (maxValidityDays !== null) {
      const latest = now + maxValidityDays * DAY_MS;
      if (at > latest && at <= latest + DAY_MS) at = latest;
    }
  } else if (body.tokenExpirationDateTime !== undefined) {
    const parsed = parseIsoInstant(body.tokenExpirationDateTime);
    if (parsed === null) {
      throw invalidField(
        'tokenExpirationDateTime',
        'must be an ISO 8601 date-time with a zone (2027-10-19T10:29:00.000+02:00) or a date (2027-10-19, midnight UTC)',
      );
    }
    at = parsed;
  } else if (body.tokenExpirationDateTimeMillis !== undefined) {
    at = body.tokenExpirationDateTimeMillis;
  } else {
    return undefined;
  }
  const field = given[0] ?? 'tokenExpirationDateTime';
  if (at <= now) throw invalidField(field, `must be in the future (got ${new Date(at).toISOString()})`);
  return new Date(at).toISOString();
}

export function scopeOf(n: 1 | 2 | undefined): Scope | undefined {
  return n === undefined ? undefined : SCOPE_BY_NUMBER[n];
}

/** One store filter per user asked for (one with no user when none is), or null when nothing can match. */
export function toFilters(q: CompatFilterQuery): TokenFilter[] | null {
  const base: TokenFilter = {};
  if (q.descriptionFilter !== undefined && q.descriptionFilter !== '') base.description = q.descriptionFilter;
  if (q.tokenScope !== undefined) {
    // 0 is the original's "no scope" of tokens older than its 1.5.0: tokengate has none.
    const scope = SCOPE_BY_NUMBER[q.tokenScope];
    if (scope === undefined) return null;
    base.scope = scope;
  }
  if (q.fromCreated !== undefined) base.createdFrom = q.fromCreated;
  if (q.untilCreated !== undefined) base.createdTo = q.untilCreated;
  if (q.fromLastUsed !== undefined) base.lastUsedFrom = q.fromLastUsed;
  if (q.untilLastUsed !== undefined) base.lastUsedTo = q.untilLastUsed;
  if (q.fromExpiresDuring !== undefined) base.expiresFrom = q.fromExpiresDuring;
  const until = [q.untilExpiresDuring, q.notValidAfter].filter((v): v is number => v !== undefined);
  if (until.length > 0) base.expiresTo = Math.min(...until);
  const users =
    q.userFilter === undefined ? [] : typeof q.userFilter === 'string' ? [q.userFilter] : q.userFilter;
  const distinct = [...new Set(users.filter((u) => u !== ''))];
  return distinct.length === 0 ? [base] : distinct.map((user) => ({ ...base, user }));
}
