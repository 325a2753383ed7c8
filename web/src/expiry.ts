import type { CreateTokenBody, Policy } from './api';
import { formatDate, utcDateString } from './format';

/**
 * The expiry choices a token form offers: only what the policy allows (docs/api.md, "How the expiry
 * is chosen"). Presets up to tokens.maxValidityDays, a date no later than the latest allowed day, and
 * "never" only when there is no maximum.
 */

const DAY_MS = 86_400_000;
const PRESET_DAYS = [7, 30, 90, 180, 365];

export interface ExpiryOption {
  value: string;
  label: string;
}

export interface ExpiryChoices {
  options: ExpiryOption[];
  defaultValue: string;
  /** Bounds of the custom date input (`YYYY-MM-DD`, UTC days). */
  minDate: string;
  maxDate: string | null;
}

export const CUSTOM_DATE = 'date';
export const NEVER = 'never';

export function expiryChoices(policy: Policy, now = Date.now()): ExpiryChoices {
  const max = policy.maxValidityDays;
  const def = policy.defaultValidityDays;
  const days = new Set(PRESET_DAYS.filter((d) => max === null || d <= max));
  if (max !== null) days.add(max);
  if (def !== null && (max === null || def <= max)) days.add(def);
  const options: ExpiryOption[] = [...days]
    .sort((a, b) => a - b)
    .map((d) => {
      const notes: string[] = [];
      if (d === def) notes.push('default');
      if (d === max) notes.push('maximum');
      const until = formatDate(new Date(now + d * DAY_MS).toISOString());
      return {
        value: `d${d}`,
        label: `${d} ${d === 1 ? 'day' : 'days'} (until ${until})${notes.length ? `, ${notes.join(', ')}` : ''}`,
      };
    });
  if (max === null) options.push({ value: NEVER, label: def === null ? 'Never (default)' : 'Never' });
  options.push({ value: CUSTOM_DATE, label: 'On a date…' });
  const defaultValue =
    def === null ? (max === null ? NEVER : `d${max}`) : `d${max !== null && def > max ? max : def}`;
  return {
    options,
    defaultValue,
    // An expiry date means 00:00 UTC on that day, and it must be in the future.
    minDate: utcDateString(now + DAY_MS),
    maxDate: max === null ? null : utcDateString(now + max * DAY_MS),
  };
}

/** The expiry part of a create body, or an error to show beside the picker. */
export function expiryBody(
  choice: string,
  date: string,
  choices: ExpiryChoices,
): { ok: true; body: Pick<CreateTokenBody, 'validityDays' | 'expiresAt'> } | { ok: false; error: string } {
  if (choice === NEVER) return { ok: true, body: { expiresAt: null } };
  if (choice === CUSTOM_DATE) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return { ok: false, error: 'Choose the day the token expires.' };
    if (date < choices.minDate) return { ok: false, error: 'The date must be in the future.' };
    if (choices.maxDate !== null && date > choices.maxDate) {
      return {
        ok: false,
        error: `The latest allowed date is ${formatDate(`${choices.maxDate}T00:00:00Z`)}.`,
      };
    }
    return { ok: true, body: { expiresAt: date } };
  }
  const days = Number(choice.slice(1));
  if (!Number.isInteger(days) || days < 1) return { ok: false, error: 'Choose when the token expires.' };
  return { ok: true, body: { validityDays: days } };
}
