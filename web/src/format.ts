/** Dates, durations and numbers as people read them. Times from the API are ISO 8601 strings in UTC. */

const DAY_MS = 86_400_000;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const number = new Intl.NumberFormat();

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

/** The browser's own time, with its zone ("30 Nov 2026, 07:33:04 GMT+5:30"). */
const dateTimeZone = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });

export function formatDateTimeZone(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTimeZone.format(d);
}

/** "2026-11-30 02:03:04 UTC": a time as logs, the CLI and exports show it, zone included. */
export function formatUtc(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The browser's time zone, e.g. "Europe/Berlin" (what datetime-local inputs mean). */
export function localZoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d);
}

export function formatNumber(n: number): string {
  return number.format(n);
}

/** "in 3 days", "2 hours ago", "now". */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['year', 365 * DAY_MS],
    ['month', 30 * DAY_MS],
    ['day', DAY_MS],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  for (const [unit, ms] of units) {
    if (abs >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return relative.format(0, 'minute');
}

/** Whole days from now until `iso` (negative when past). */
export function daysUntil(iso: string, now = Date.now()): number {
  return (new Date(iso).getTime() - now) / DAY_MS;
}

/** Tokens are "expiring soon" within this many days, as in Atlassian Data Center (the server's default). */
export const EXPIRES_SOON_DAYS = 5;

/**
 * Whether to show a token as "expires soon": the server's `expiresSoon` when it sends one, otherwise
 * active with an expiry within `warningDays` (the policy's tokens.expiryWarningDays; 0: never).
 */
export function expiresSoon(
  t: { status: string; expiresAt: string | null; expiresSoon?: boolean },
  warningDays: number,
  now = Date.now(),
): boolean {
  if (typeof t.expiresSoon === 'boolean') return t.expiresSoon;
  return (
    warningDays > 0 &&
    t.status === 'active' &&
    t.expiresAt !== null &&
    daysUntil(t.expiresAt, now) <= warningDays
  );
}

/** "5 requests per 5 minutes". */
export function formatRate(requests: number, windowSeconds: number): string {
  const req = `${formatNumber(requests)} ${requests === 1 ? 'request' : 'requests'}`;
  return `${req} per ${formatSeconds(windowSeconds)}`;
}

export function formatSeconds(s: number): string {
  const parts: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [unit, name] of parts) {
    if (s % unit === 0 && s >= unit) {
      const n = s / unit;
      return n === 1 ? name : `${n} ${name}s`;
    }
  }
  return s === 1 ? 'second' : `${s} seconds`;
}

/** "45 seconds", "1 hour", "7 days": the largest whole unit. */
export function formatDuration(s: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [unit, name] of units) {
    if (s % unit === 0 && s >= unit) return plural(s / unit, name);
  }
  return plural(s, 'second');
}

/** A `YYYY-MM-DD` in UTC. */
export function utcDateString(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The start (00:00) of a local `YYYY-MM-DD` as an ISO instant, for API range filters. */
export function localDayStart(date: string): string | undefined {
  if (!date) return undefined;
  const d = new Date(`${date}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The end (23:59:59.999) of a local `YYYY-MM-DD` as an ISO instant. */
export function localDayEnd(date: string): string | undefined {
  if (!date) return undefined;
  const d = new Date(`${date}T23:59:59.999`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A `datetime-local` input value as an ISO instant. */
export function localDateTimeToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}
