import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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

/**
 * Reads the start-up configuration in this order, each overriding the one before: defaults <
 * config file < environment < command-line flags. This is the only module that reads `process.env`.
 */

const ENV_KEYS: Record<string, string> = {
  TOKENGATE_PORT: 'port',
  TOKENGATE_HOST: 'host',
  TOKENGATE_ADMIN_PORT: 'adminPort',
  TOKENGATE_ADMIN_HOST: 'adminHost',
  TOKENGATE_ADMIN_HOST_NAME: 'adminHostName',
  TOKENGATE_UPSTREAM: 'upstream',
  TOKENGATE_DATA_DIR: 'dataDir',
  TOKENGATE_DB: 'db',
  TOKENGATE_NODE_ID: 'nodeId',
  TOKENGATE_REDIS: 'redis',
  TOKENGATE_ADMIN_PASSWORD: 'adminPassword',
};

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
  for (const key of ['dataDir', 'db'] as const) {
    const v = file[key];
    if (typeof v === 'string' && !isPostgresUrl(v) && v !== ':memory:') file[key] = resolve(fileDir, v);
  }
  const fromEnv: Source = {};
  for (const [k, name] of Object.entries(ENV_KEYS)) {
    const v = env[k];
    if (v !== undefined && v !== '') fromEnv[name] = v;
  }
  const fromFlags: Source = {};
  for (const [k, v] of Object.entries(flags)) if (v !== undefined && k !== 'config') fromFlags[k] = v;

  const pick = (name: string): { value: unknown; from: string } | undefined => {
    if (fromFlags[name] !== undefined)
      return { value: fromFlags[name], from: `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` };
    if (fromEnv[name] !== undefined) {
      const envName = Object.entries(ENV_KEYS).find(([, n]) => n === name)?.[0] ?? name;
      return { value: fromEnv[name], from: envName };
    }
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
  const poll = file.changePollMs;

  const dbValue = db ? str('db', db.value, db.from) : join(dataDir, 'tokengate.db');
  const stripHeaders = file.stripHeaders ?? [];
  if (!Array.isArray(stripHeaders))
    throw new ConfigError('config file key stripHeaders must be a list of header names');
  const ctx: ReadContext = { path, fileDir, dataDir };
  const sections = readSections(file, ctx);
  checkBrowserSignIn(sections.auth, sections.identity);
  return {
    port: portNum,
    host: host ? str('host', host.value, host.from) : '0.0.0.0',
    adminPort: adminPortP ? adminPort(adminPortP.value, adminPortP.from) : portNum === 0 ? 0 : 8001,
    adminHost: adminHostP ? str('adminHost', adminHostP.value, adminHostP.from) : '127.0.0.1',
    adminHostName: adminHostNameP ? hostName(adminHostNameP.value, adminHostNameP.from) : null,
    upstream: upstream ? upstreamUrl(upstream.value, upstream.from) : null,
    dataDir,
    db: isPostgresUrl(dbValue) || dbValue === ':memory:' ? dbValue : resolve(dbValue),
    // One-shot commands are not a listening node: their audit records say so.
    nodeId: nodeId
      ? str('nodeId', nodeId.value, nodeId.from)
      : `${hostname()}:${role === 'cli' ? 'cli' : portNum}`,
    adminPassword: admin ? str('adminPassword', admin.value, admin.from) : undefined,
    redis: redisP ? redisUrl(redisP.value, redisP.from) : null,
    changePollMs: poll === undefined ? 1000 : intIn('changePollMs', poll, 50, 60_000, 'config file'),
    stripHeaders: stripHeaders.map((h, i) => headerName(h, `stripHeaders[${i}]`, ctx)),
    lastUsedFlushMs:
      file.lastUsedFlushMs === undefined
        ? 5_000
        : intIn('lastUsedFlushMs', file.lastUsedFlushMs, 100, 3_600_000, 'config file'),
    ...sections,
  };
}
