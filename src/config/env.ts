import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bool, ConfigError, type Field, type Fields, filePath, type Source } from './readers.js';
import { SECTIONS, TOP_LEVEL_KEYS } from './schema.js';

/**
 * Every config-file key from the environment. The variable of a key is derived from its dotted
 * path, never listed by hand: `TOKENGATE_` and each segment in upper snake case, joined by `_`
 * (`identity.oidc.clientId` is `TOKENGATE_IDENTITY_OIDC_CLIENT_ID`). Values are parsed by the
 * key's type, taken from its declaration (schema.ts); every other `TOKENGATE_*` variable is refused
 * unless {@link OTHER_VARIABLES} names it. docs/configuration.md, "Environment variables".
 */

export const ENV_PREFIX = 'TOKENGATE_';

/** How a variable's text becomes the value the key's reader gets. */
export type EnvKind = 'text' | 'path' | 'number' | 'boolean' | 'list';

export interface EnvKey {
  /** The config file's key, dotted: `proxy.connectTimeoutMs`. */
  key: string;
  kind: EnvKind;
}

/**
 * The `TOKENGATE_*` variables that are not config keys, each read by the code or the tests that
 * name it; the config loader lets them pass.
 */
export const OTHER_VARIABLES: Readonly<Record<string, string>> = {
  TOKENGATE_CONFIG: 'the config file (like --config)',
  TOKENGATE_SERVER: "the CLI's remote mode: the server to call (like --server)",
  TOKENGATE_TOKEN: "the CLI's remote mode: the API token to call it with (like --token)",
  TOKENGATE_WORKER: 'set by `serve --workers` on each worker process',
  TOKENGATE_DEV_SERVER: "the web UI's development server: where it proxies the API to",
  TOKENGATE_PG_PASSWORD: 'compose.yaml: the PostgreSQL password, put into TOKENGATE_DB by compose',
  TOKENGATE_CONTAINER_PG: '.ci/container.sh: the PostgreSQL it tests the image against',
  TOKENGATE_CONTAINER_REDIS: '.ci/container.sh: the Redis it tests the image against',
  TOKENGATE_CONTAINER_WORK: '.ci/container.sh: its work directory',
  TOKENGATE_CI_SOURCE: '.ci/node-versions.sh: test the committed HEAD or the working tree',
  TOKENGATE_CI_NODE_MAJORS: '.ci/node-versions.sh: the Node versions it tests',
  TOKENGATE_CI_TIMEOUT: '.ci/node-versions.sh: the bound of each test run',
  TOKENGATE_AUDIT_REQUIRED: 'scripts/audit-deps.mjs: a failed dependency audit fails the run',
  TOKENGATE_BENCH_REDIS: 'the benchmarks: their Redis',
  TOKENGATE_UPDATE_SCREENSHOTS: 'the UI tests: rewrite the reference screenshots',
};

/**
 * Reserved for the tests' own variables (TOKENGATE_TEST_PG, TOKENGATE_TEST_NGINX…): several test
 * helpers add them, and none is a setting of tokengate.
 */
export const TEST_PREFIX = 'TOKENGATE_TEST_';

/** `connectTimeoutMs` → `CONNECT_TIMEOUT_MS`. */
function upperSnake(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The variable of a dotted config key: `log.format` → `TOKENGATE_LOG_FORMAT`. */
export function envName(key: string): string {
  return ENV_PREFIX + key.split('.').map(upperSnake).join('_');
}

/** Top-level keys whose value is a list; the others are text their readers parse (ports, URLs, paths). */
const TOP_LEVEL_LISTS: ReadonlySet<(typeof TOP_LEVEL_KEYS)[number]> = new Set(['stripHeaders']);

function kindOf(f: Field<unknown>): EnvKind {
  if (f.read === bool) return 'boolean';
  if (f.read === filePath) return 'path';
  const d = f.fallback;
  if (typeof d === 'boolean') return 'boolean';
  if (typeof d === 'number') return 'number';
  if (Array.isArray(d)) return 'list';
  return 'text';
}

function collect(prefix: string, fields: Fields, into: Map<string, EnvKey>): void {
  for (const [name, f] of Object.entries(fields)) {
    const key = `${prefix}${name}`;
    // A nested section has no variable of its own: any of its keys' variables turns it on.
    if (f.fields) collect(`${key}.`, f.fields, into);
    else into.set(envName(key), { key, kind: kindOf(f as Field<unknown>) });
  }
}

let keys: ReadonlyMap<string, EnvKey> | undefined;

/** Every config key's variable, by name, derived from TOP_LEVEL_KEYS and SECTIONS. */
export function envKeys(): ReadonlyMap<string, EnvKey> {
  if (keys) return keys;
  const out = new Map<string, EnvKey>();
  for (const key of TOP_LEVEL_KEYS)
    out.set(envName(key), { key, kind: TOP_LEVEL_LISTS.has(key) ? 'list' : 'text' });
  for (const [name, fields] of Object.entries(SECTIONS)) collect(`${name}.`, fields, out);
  keys = out;
  return out;
}

/** What the environment sets: the values shaped as in the config file, and which variable set each key. */
export interface EnvSource {
  values: Source;
  /** Dotted key → the variable it came from, for messages. */
  origin: Map<string, string>;
}

/** A text key's `<NAME>_FILE` variable: the path of a file holding its value (Docker and Kubernetes secrets). */
function fromFile(name: string, path: string): string {
  let value: string;
  try {
    value = readFileSync(resolve(path), 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError(
      `${name}_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (!value) throw new ConfigError(`${name}_FILE: ${path} is empty`);
  return value;
}

function parse(name: string, { key, kind }: EnvKey, text: string): unknown {
  switch (kind) {
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new ConfigError(`${key} must be true or false (${name}: ${JSON.stringify(text)})`);
    case 'number':
      // Anything else goes to the key's reader as text, which refuses it naming its range.
      return /^\d+$/.test(text.trim()) ? Number(text) : text;
    case 'list': {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // reported below
      }
      if (!Array.isArray(value))
        throw new ConfigError(`${key} must be a JSON array such as ["a","b"] (${name})`);
      return value;
    }
    case 'path':
      // Relative to the current directory, as a flag's path; the config file's are relative to it.
      return text.trim() ? resolve(text.trim()) : text;
    case 'text':
      return text;
  }
}

/** `{a: {b: value}}` for the key `a.b`, merged into `into`. */
function setKey(into: Source, key: string, value: unknown): void {
  const parts = key.split('.');
  let at = into;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (next === undefined || next === null) at = at[part] = {};
    else if (typeof next === 'object' && !Array.isArray(next)) at = next as Source;
    // Not a mapping in the file: its reader refuses it, naming the key.
    else return;
  }
  at[parts.at(-1) ?? ''] = value;
}

/** The config file's keys ending in `Env` (`identity.ldap.bindPasswordEnv`) name variables of their own. */
function namedVariables(source: unknown, out: Set<string>): Set<string> {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) return out;
  for (const [k, v] of Object.entries(source)) {
    if (k.endsWith('Env') && typeof v === 'string') out.add(v);
    else namedVariables(v, out);
  }
  return out;
}

/** The known variable nearest to an unknown one: one that ends like it, else the fewest edits away. */
function nearest(name: string, known: readonly string[]): string {
  const tail = name.slice(ENV_PREFIX.length);
  const endsLike = known
    .filter((k) => tail.length > 0 && k.endsWith(`_${tail}`))
    .sort((a, b) => a.length - b.length);
  if (endsLike[0] !== undefined) return endsLike[0];
  let best = { name: known[0] ?? '', d: Infinity };
  for (const k of known) {
    const d = distance(name, k);
    if (d < best.d) best = { name: k, d };
  }
  return best.name;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(
        Math.min(
          (prev[j] ?? 0) + 1,
          (row[j - 1] ?? 0) + 1,
          (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
        ),
      );
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/**
 * Reads the config keys' variables from `env` (an empty one counts as unset), and refuses a
 * `TOKENGATE_*` variable that is none of them, nor in {@link OTHER_VARIABLES}, nor named by a
 * `…Env` key of `file` or of the environment.
 */
export function readEnv(env: NodeJS.ProcessEnv, file: Source): EnvSource {
  const known = envKeys();
  const values: Source = {};
  const origin = new Map<string, string>();
  for (const [name, k] of known) {
    const direct = env[name];
    const path = k.kind === 'text' ? env[`${name}_FILE`] : undefined;
    const isSet = (v: string | undefined): v is string => v !== undefined && v !== '';
    if (isSet(direct) && isSet(path)) throw new ConfigError(`${name} and ${name}_FILE: give one of them`);
    if (isSet(path)) {
      setKey(values, k.key, fromFile(name, path));
      origin.set(k.key, `${name}_FILE`);
    } else if (isSet(direct)) {
      setKey(values, k.key, parse(name, k, direct));
      origin.set(k.key, name);
    }
  }
  const allowed = namedVariables(values, namedVariables(file, new Set()));
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIX) || name.startsWith(TEST_PREFIX) || known.has(name)) continue;
    if (Object.hasOwn(OTHER_VARIABLES, name)) continue;
    if (allowed.has(name)) continue;
    if (name.endsWith('_FILE') && known.get(name.slice(0, -'_FILE'.length))?.kind === 'text') continue;
    const near = nearest(name, [...known.keys(), ...Object.keys(OTHER_VARIABLES)]);
    throw new ConfigError(`unknown environment variable ${name}; did you mean ${near}?`);
  }
  return { values, origin };
}
