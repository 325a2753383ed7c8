import { isSettingKey, settingDefinition, defaultSettings } from './parse.js';
import type { SettingKey, Settings } from './definitions.js';

/** One setting that failed validation, named by its key. */
export interface SettingProblem {
  key: string;
  message: string;
}

/**
 * Validates a partial change against the current settings. Returns the full new settings, or every
 * problem found (unknown keys, bad values, and rules that span keys), so nothing is applied half-way.
 */
export function applySettingsChange(
  current: Settings,
  change: Record<string, unknown>,
): { ok: true; settings: Settings; changed: SettingKey[] } | { ok: false; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const next: Record<string, unknown> = { ...current };
  const changed: SettingKey[] = [];
  for (const [key, value] of Object.entries(change)) {
    if (!isSettingKey(key)) {
      problems.push({ key, message: 'unknown setting' });
      continue;
    }
    const r = settingDefinition(key).parse(value);
    if (!r.ok) {
      problems.push({ key, message: r.error });
      continue;
    }
    if (JSON.stringify(r.value) !== JSON.stringify(current[key])) changed.push(key);
    next[key] = r.value;
  }
  const settings = next as unknown as Settings;
  if (problems.length === 0) problems.push(...crossFieldProblems(settings));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, settings, changed };
}

function crossFieldProblems(s: Settings): SettingProblem[] {
  const max = s['tokens.maxValidityDays'];
  const def = s['tokens.defaultValidityDays'];
  if (max === null) return [];
  if (def === null) {
    return [
      {
        key: 'tokens.defaultValidityDays',
        message: `cannot be null (never expires) while tokens.maxValidityDays is ${max}`,
      },
    ];
  }
  if (def > max) {
    return [
      {
        key: 'tokens.defaultValidityDays',
        message: `${def} is more than tokens.maxValidityDays (${max})`,
      },
    ];
  }
  return [];
}

/**
 * Reads stored values over the defaults. A stored value that no longer validates (an older release
 * wrote it, or someone edited the database) falls back to the default and is reported.
 */
export function settingsFromStored(stored: Record<string, unknown>): {
  settings: Settings;
  ignored: SettingProblem[];
} {
  const out = defaultSettings() as unknown as Record<string, unknown>;
  const ignored: SettingProblem[] = [];
  for (const [key, value] of Object.entries(stored)) {
    if (!isSettingKey(key)) continue;
    const r = settingDefinition(key).parse(value);
    if (r.ok) out[key] = r.value;
    else ignored.push({ key, message: r.error });
  }
  return { settings: out as unknown as Settings, ignored };
}
