import type { TArray, TBoolean, TEnum, TInteger, TSchema, TString, TUnsafe } from 'typebox';
import { MAX_CIDR_ENTRIES, normalizeCidrList } from '../auth/ip-rules.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log-level.js';
import { parseReadRule } from '../auth/read-rules.js';
import { fail, ok, type Result } from '../result.js';
import { PREFIX_PATTERN } from '../token/format.js';

/**
 * The building blocks of the settings table (definitions.ts): TypeBox schemas for the shapes that
 * recur, and the rules no JSON schema states (CIDR ranges, read rules, group and logger names…), which
 * run after a value has passed its schema and also put it in canonical form.
 */

/** A permission is granted to the listed groups, or to everyone with `"*"`. */
export type GroupList = string[];

export const MAX_DAYS = 36_500;
/** The longest grace period of a rotation: 30 days. */
export const MAX_GRACE_SECONDS = 2_592_000;
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Logger names: `root`, or dotted lower-case words such as `auth.filter`. */
export const LOGGER_NAME_PATTERN = /^(root|[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*)$/;
/** A Basic user name placeholder: empty, or a user-name-like word, compared in lower case. */
const PLACEHOLDER_PATTERN = /^([a-z0-9][a-z0-9._@-]{0,63})?$/;

/**
 * How authentication lines are written: `tokengate` (our sentences, with the client IP and a dated
 * "created on" with its zone) or `seed` (the seed app's exact logger names, sentences and date format,
 * so that log-analyzer rules written for its lines keep matching).
 */
export const LOG_STYLES = ['tokengate', 'seed'] as const;
export type LogStyle = (typeof LOG_STYLES)[number];

// Shapes: plain JSON-schema objects typed as TypeBox's, so that `Static` gives each setting's type.
// They are written here rather than made by TypeBox's `Type` because the CLI reads (and checks)
// settings and must not load TypeBox, a server-only module (test/cli-usability.test.ts); check.ts
// checks values against them, and its test holds it to TypeBox's Value.Check.

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T is the schema's TypeBox type, named by the caller
const schema = <T extends TSchema>(s: object): T => s as T;

export const boolean = () => schema<TBoolean>({ type: 'boolean' });

export const integer = (minimum: number, maximum: number) =>
  schema<TInteger>({ type: 'integer', minimum, maximum });

export const string = (pattern: RegExp) => schema<TString>({ type: 'string', pattern: pattern.source });

/** Whole days from 1 to 100 years, or `null` (none). One JSON type list, as the API has always shown it. */
export const days = () =>
  schema<TUnsafe<number | null>>({ type: ['integer', 'null'], minimum: 1, maximum: MAX_DAYS });

export const strings = (maxItems?: number) =>
  schema<TArray<TString>>({
    type: 'array',
    items: { type: 'string' },
    ...(maxItems === undefined ? {} : { maxItems }),
  });

export const prefixes = () =>
  schema<TArray<TString>>({ type: 'array', items: string(PREFIX_PATTERN), maxItems: 20 });

export const cidrs = () => strings(MAX_CIDR_ENTRIES);

export const logStyle = () => schema<TEnum<['tokengate', 'seed']>>({ type: 'string', enum: [...LOG_STYLES] });

/** Stored levels are upper case; a change may name them in any case (logLevels() below). */
export const logLevelMap = () =>
  schema<TUnsafe<Record<string, LogLevel>>>({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...LOG_LEVELS] },
  });

/** What a change to log.levels must be before its names and levels are read: any object. */
export const anyObject = () => schema<TUnsafe<Record<string, unknown>>>({ type: 'object' });

// Rules after the schema. Each returns the canonical value.

const unique = <T>(list: readonly T[]): T[] => [...new Set(list)];

export const distinct = (list: string[]): Result<string[]> => ok(unique(list));

export const cidrList = (list: string[]): Result<string[]> => normalizeCidrList(list);

export function readRuleList(list: string[]): Result<string[]> {
  for (const rule of list) {
    const r = parseReadRule(rule);
    if (!r.ok) return r;
  }
  return ok(unique(list.map((r) => r.trim())));
}

export function placeholderList(list: string[]): Result<string[]> {
  const out = list.map((p) => p.trim().toLowerCase());
  for (const p of out) if (!PLACEHOLDER_PATTERN.test(p)) return fail(`"${p}" is not a user name placeholder`);
  return ok(unique(out));
}

export function groupList(list: string[]): Result<string[]> {
  for (const g of list) {
    if (g !== '*' && !GROUP_NAME_PATTERN.test(g)) return fail(`"${g}" is not a group name or "*"`);
  }
  return ok(unique(list));
}

export function logLevels(value: Record<string, unknown>): Result<Record<string, LogLevel>> {
  const out: Record<string, LogLevel> = {};
  const entries = Object.entries(value);
  if (entries.length > 100) return fail('at most 100 loggers may have their own level');
  for (const [name, level] of entries) {
    if (!LOGGER_NAME_PATTERN.test(name) || name.length > 64) return fail(`"${name}" is not a logger name`);
    const upper = typeof level === 'string' ? level.toUpperCase() : level;
    if (!isLogLevel(upper)) return fail(`level of "${name}" must be one of ${LOG_LEVELS.join(', ')}`);
    out[name] = upper;
  }
  if (out.root === undefined) return fail('must set a level for "root"');
  return ok(out);
}
