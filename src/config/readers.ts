import { resolve } from 'node:path';

/**
 * The readers of start-up configuration values and the declaration table they are used from: a
 * config-file section is declared once as `{key: field(reader, default)}` (schema.ts), and both
 * {@link readSection} and the section's type ({@link SectionOf}) come from that one declaration.
 * Every message names the key and where the value came from.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Source = Record<string, unknown>;

/** What a default or a reader may depend on: the config file's path and directory, and the data directory. */
export interface ReadContext {
  /** The config file, for messages; undefined when there is none. */
  path: string | undefined;
  /** Relative paths in the file resolve against this directory. */
  fileDir: string;
  dataDir: string;
  /** The environment variable a dotted key's value came from, if it did (env.ts): messages name it. */
  origin?: ReadonlyMap<string, string>;
}

export type FieldReader<T> = (value: unknown, name: string, ctx: ReadContext) => T;

/** One key of a section: how its value is read, and its value when absent. */
export interface Field<T> {
  read: FieldReader<T>;
  fallback: T | ((ctx: ReadContext) => T);
  /** A nested section's own declaration (`audit.file:`), for tests and docs. */
  fields?: Fields;
}

/** A key read by `read`, or `fallback` (a value, or a function of the context) when absent. */
export function field<T>(read: FieldReader<T>, fallback: T | ((ctx: ReadContext) => T)): Field<T> {
  return { read, fallback };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of fields of different types
export type Fields = Record<string, Field<any>>;

/** The value a section declaration reads to: one property per declared key, of its reader's type. */
export type SectionOf<F extends Fields> = {
  -readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

export function intIn(name: string, v: unknown, min: number, max: number, from: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (${from}: ${JSON.stringify(v)})`);
  }
  return n;
}

export function str(name: string, v: unknown, from: string): string {
  if (typeof v !== 'string' || v.trim().length === 0)
    throw new ConfigError(`${name} must be a non-empty string (${from})`);
  return v.trim();
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The closest of `known` to `key`, if one is within an edit distance of 2 (case ignored). */
export function closest(key: string, known: Iterable<string>): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = distance(key.toLowerCase(), name.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/**
 * The error for a key the config file does not know: `config file <path>: unknown key "cache.maxEntrys";
 * did you mean "cache.maxEntries"?`. `prefix` is the section (`cache.`), empty at the top level.
 */
export function unknownKey(
  path: string | undefined,
  prefix: string,
  key: string,
  known: Iterable<string>,
): ConfigError {
  const near = closest(key, known);
  const where = path ? `config file ${path}` : 'config file';
  return new ConfigError(
    `${where}: unknown key "${prefix}${key}"${near === undefined ? '' : `; did you mean "${prefix}${near}"?`}`,
  );
}

/** `raw` as a mapping; absent or an empty YAML key counts as an empty mapping. */
export function asMapping(raw: unknown, name: string): Source {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`config file key ${name} must be a mapping`);
  return raw as Source;
}

/**
 * Reads a mapping of the config file (e.g. `proxy:`) by its declaration: unknown keys are refused,
 * with the nearest known key suggested; absent keys take their defaults.
 */
export function readSection<F extends Fields>(
  raw: unknown,
  name: string,
  fields: F,
  ctx: ReadContext,
): SectionOf<F> {
  const data = asMapping(raw, name);
  for (const key of Object.keys(data)) {
    if (!Object.hasOwn(fields, key)) throw unknownKey(ctx.path, `${name}.`, key, Object.keys(fields));
  }
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(fields)) {
    const { read, fallback } = f as Field<unknown>;
    out[key] =
      data[key] === undefined
        ? typeof fallback === 'function'
          ? (fallback as (c: ReadContext) => unknown)(ctx)
          : fallback
        : readFrom(read, data[key], `${name}.${key}`, ctx);
  }
  return out as SectionOf<F>;
}

/**
 * Reads one value; when it came from an environment variable, a refusal names the variable where
 * the readers say "config file".
 */
function readFrom<T>(read: FieldReader<T>, value: unknown, name: string, ctx: ReadContext): T {
  const variable = ctx.origin?.get(name);
  if (variable === undefined) return read(value, name, ctx);
  try {
    return read(value, name, ctx);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const message = err.message
      .replace(/\(config file(?=[:)])/, `(${variable}`)
      .replace(/ in the config file:/, ` in ${variable}:`);
    throw new ConfigError(message === err.message ? `${message} (${variable})` : message);
  }
}

/** A nested section (e.g. `audit.file:`), read by its own declaration; absent: all its defaults. */
export function sub<F extends Fields>(fields: F): Field<SectionOf<F>> {
  return {
    ...field<SectionOf<F>>(
      (v, name, ctx) => readSection(v, name, fields, ctx),
      (ctx) => readSection({}, '', fields, ctx),
    ),
    fields,
  };
}

/**
 * A nested section that is off unless present (e.g. `notifications.smtp:`); `check` refuses
 * combinations a single key cannot (a required key, two that go together).
 */
export function optionalSub<F extends Fields>(
  fields: F,
  check: (value: SectionOf<F>) => void,
): Field<SectionOf<F> | null> {
  const read: FieldReader<SectionOf<F> | null> = (v, name, ctx) => {
    // An empty key (`smtp:`) is the section with its defaults, which `check` may then refuse.
    const value = readSection(v, name, fields, ctx);
    check(value);
    return value;
  };
  return { ...field(read, null), fields };
}

export const bool: FieldReader<boolean> = (v, name) => {
  if (typeof v !== 'boolean') throw new ConfigError(`${name} must be true or false (config file)`);
  return v;
};

export const intField =
  (min: number, max: number): FieldReader<number> =>
  (v, name) =>
    intIn(name, v, min, max, 'config file');

export const text: FieldReader<string> = (v, name) => str(name, v, 'config file');

/** A path, relative to the config file's directory. */
export const filePath: FieldReader<string> = (v, name, ctx) => resolve(ctx.fileDir, text(v, name, ctx));

/** One of `choices`, refused as "<name> must be a or b (config file)". */
export function oneOf<const T extends string>(choices: readonly T[]): FieldReader<T> {
  return (v, name) => {
    if (!choices.includes(v as T))
      throw new ConfigError(`${name} must be ${choices.join(' or ')} (config file)`);
    return v as T;
  };
}

export const headerName: FieldReader<string> = (v, name) => {
  if (typeof v !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(v)) {
    throw new ConfigError(`${name} must be an HTTP header name (config file)`);
  }
  return v.toLowerCase();
};

export const httpUrl: FieldReader<string> = (v, name, ctx) => {
  const value = text(v, name, ctx);
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
    throw new ConfigError(`${name} must be an http:// or https:// URL (config file)`);
  return u.toString();
};
