import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../domain/user.js';
import { isPostgresUrl } from '../store/url.js';
import type * as Yaml from 'yaml';
import {
  ConfigError,
  headerName,
  intIn,
  type ReadContext,
  readSection,
  type Source,
  str,
  unknownKey,
} from './readers.js';
import { checkServer, type Config, type ConfigFlags, FILE_KEYS, type Sections, SECTIONS } from './schema.js';
import { checkBrowserSignIn } from './identity.js';
import { readEnv } from './env.js';

/**
 * Reads the start-up configuration in this order, each overriding the one before: defaults <
 * config file < environment < command-line flags. This is the only module that reads `process.env`.
 */

function upstreamUrl(v: unknown, from: string): string {
  const text = str('upstream', v, from);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new ConfigError(`upstream must be an http:// or https:// URL (${from}: ${JSON.stringify(text)})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(`upstream must be an http:// or https:// URL (${from}: ${JSON.stringify(text)})`);
  }
  return u.toString().replace(/\/$/, '');
}

/** `off` (no admin listener) or a port number. */
function adminPort(v: unknown, from: string): number | null {
  if (typeof v === 'string' && v.trim().toLowerCase() === 'off') return null;
  return intIn('adminPort', v, 0, 65_535, from);
}

/** A DNS host name, lower-cased, without a port: what a Host header must equal. */
function hostName(v: unknown, from: string): string {
  const name = str('adminHostName', v, from).toLowerCase();
  if (!/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name))
    throw new ConfigError(
      `adminHostName must be a host name such as tokengate-admin.example.com, without a port (${from})`,
    );
  return name;
}

function redisUrl(v: unknown, from: string): string {
  const text = str('redis', v, from);
  if (!/^rediss?:\/\//.test(text))
    throw new ConfigError(`redis must be a redis:// or rediss:// URL (${from})`);
  return text;
}

/**
 * A SQLite file path (or `file:` URL), `:memory:`, or a postgres:// URL; any other scheme is refused
 * rather than taken for a file name (`mysql://x` would have been the file `./mysql:/x`). Relative
 * paths resolve against `base`. The message shows the scheme only: a URL may hold a password.
 */
function dbLocation(v: unknown, from: string, base: string): string {
  const value = str('db', v, from);
  if (isPostgresUrl(value) || value === ':memory:') return value;
  if (/^file:/i.test(value)) {
    if (!/^file:\/\//i.test(value)) return resolve(base, value.slice('file:'.length).replace(/\?.*$/, ''));
    try {
      return fileURLToPath(value);
    } catch {
      throw new ConfigError(`db must be a file: URL of a local path (${from})`);
    }
  }
  // Two letters at least: `C:\data` is a Windows path, not a scheme.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value)?.[1];
  if (scheme !== undefined)
    throw new ConfigError(
      `db must be a SQLite file path, a file: URL, :memory: or a postgres:// or postgresql:// URL, not a ${scheme.toLowerCase()}: URL (${from})`,
    );
  return resolve(base, value);
}

/** The first admin's password: checked here, so that a short one stops start-up as a configuration error. */
function adminPasswordOf(v: unknown, from: string): string {
  const value = str('adminPassword', v, from);
  if (value.length < MIN_PASSWORD_LENGTH || value.length > MAX_PASSWORD_LENGTH)
    throw new ConfigError(
      `adminPassword must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters (${from})`,
    );
  return value;
}

/**
 * The YAML parser, loaded when a config file is read: most commands run without one, and loading
 * yaml (a CommonJS package of 70 files) cost 25-45 ms of every command's start-up. It is
 * required rather than imported because loadConfig is synchronous; the package is CommonJS either way.
 */
function parseYaml(text: string): unknown {
  return (createRequire(import.meta.url)('yaml') as typeof Yaml).parse(text);
}

function readFile(path: string): Source {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`,
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError(`config file ${path} must hold a mapping`);
  for (const key of Object.keys(data)) {
    if (!FILE_KEYS.includes(key)) throw unknownKey(path, '', key, FILE_KEYS);
  }
  return data as Source;
}

/** stripHeaders[i], refused naming where the list came from. */
function stripHeader(h: unknown, i: number, from: string, ctx: ReadContext): string {
  try {
    return headerName(h, `stripHeaders[${i}]`, ctx);
  } catch (err) {
    if (err instanceof ConfigError && !from.startsWith('config file'))
      throw new ConfigError(`stripHeaders[${i}] must be an HTTP header name (${from})`);
    throw err;
  }
}

/** The file's sections with the environment's keys set over them, key by key. */
function withEnv(file: Source, env: Source): Source {
  const merge = (into: unknown, over: unknown): unknown => {
    if (over === null || typeof over !== 'object' || Array.isArray(over)) return over;
    // A section that is not a mapping in the file is refused by its reader, naming the key.
    if (into !== undefined && into !== null && (typeof into !== 'object' || Array.isArray(into))) return into;
    const out: Source = { ...((into ?? {}) as Source) };
    for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
    return out;
  };
  const out: Source = { ...file };
  for (const name of Object.keys(SECTIONS))
    if (env[name] !== undefined) out[name] = merge(file[name], env[name]);
  return out;
}

/** Every section of the file, each read by its declaration in schema.ts. */
function readSections(file: Source, ctx: ReadContext): Sections {
  const out: Record<string, unknown> = {};
  for (const [name, fields] of Object.entries(SECTIONS))
    out[name] = readSection(file[name], name, fields, ctx);
  const sections = out as Sections;
  checkServer(sections.server);
  return sections;
}

/** Builds the configuration from the file, the environment and the flags. Throws ConfigError naming the bad value. */
export function loadConfig(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  role: 'server' | 'cli' = 'server',
): Config {
  const configPath = flags.config ?? env.TOKENGATE_CONFIG;
  const path = configPath ? resolve(configPath) : undefined;
  const file = path ? readFile(path) : {};
  // Paths in the file are relative to the file, not to wherever the command runs.
  const fileDir = path ? dirname(path) : process.cwd();
  if (typeof file.dataDir === 'string') file.dataDir = resolve(fileDir, file.dataDir);
  const fromEnv = readEnv(env, file);
  const fromFlags: Source = {};
  for (const [k, v] of Object.entries(flags)) if (v !== undefined && k !== 'config') fromFlags[k] = v;

  const pick = (name: string): { value: unknown; from: string } | undefined => {
    if (fromFlags[name] !== undefined)
      return { value: fromFlags[name], from: `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` };
    if (fromEnv.values[name] !== undefined)
      return { value: fromEnv.values[name], from: fromEnv.origin.get(name) ?? name };
    if (file[name] !== undefined) return { value: file[name], from: `config file key ${name}` };
    return undefined;
  };

  const port = pick('port');
  const portNum = port ? intIn('port', port.value, 0, 65_535, port.from) : 8080;
  const host = pick('host');
  const adminPortP = pick('adminPort');
  const adminHostP = pick('adminHost');
  const adminHostNameP = pick('adminHostName');
  const upstream = pick('upstream');
  const dataDirP = pick('dataDir');
  const dataDir = resolve(dataDirP ? str('dataDir', dataDirP.value, dataDirP.from) : 'data');
  const db = pick('db');
  const nodeId = pick('nodeId');
  const admin = pick('adminPassword');
  const redisP = pick('redis');
  const poll = pick('changePollMs');
  const flush = pick('lastUsedFlushMs');
  const strip = pick('stripHeaders');

  const stripHeaders = strip?.value ?? [];
  if (!Array.isArray(stripHeaders))
    throw new ConfigError(`stripHeaders must be a list of header names (${strip?.from ?? ''})`);
  const ctx: ReadContext = { path, fileDir, dataDir, origin: fromEnv.origin };
  const sections = readSections(withEnv(file, fromEnv.values), ctx);
  checkBrowserSignIn(sections.auth, sections.identity);
  return {
    port: portNum,
    host: host ? str('host', host.value, host.from) : '0.0.0.0',
    adminPort: adminPortP ? adminPort(adminPortP.value, adminPortP.from) : portNum === 0 ? 0 : 8001,
    adminHost: adminHostP ? str('adminHost', adminHostP.value, adminHostP.from) : '127.0.0.1',
    adminHostName: adminHostNameP ? hostName(adminHostNameP.value, adminHostNameP.from) : null,
    upstream: upstream ? upstreamUrl(upstream.value, upstream.from) : null,
    dataDir,
    db: db
      ? dbLocation(db.value, db.from, db.from.startsWith('config file') ? fileDir : process.cwd())
      : join(dataDir, 'tokengate.db'),
    // One-shot commands are not a listening node: their audit records say so.
    nodeId: nodeId
      ? str('nodeId', nodeId.value, nodeId.from)
      : `${hostname()}:${role === 'cli' ? 'cli' : portNum}`,
    adminPassword: admin ? adminPasswordOf(admin.value, admin.from) : undefined,
    redis: redisP ? redisUrl(redisP.value, redisP.from) : null,
    changePollMs: poll ? intIn('changePollMs', poll.value, 50, 60_000, poll.from) : 1000,
    stripHeaders: stripHeaders.map((h, i) => stripHeader(h, i, strip?.from ?? '', ctx)),
    lastUsedFlushMs: flush ? intIn('lastUsedFlushMs', flush.value, 100, 3_600_000, flush.from) : 5_000,
    ...sections,
  };
}
