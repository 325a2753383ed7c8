import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compileLayout, LayoutError } from '../log/layout.js';
import { isPostgresUrl } from '../store/url.js';
import type * as Yaml from 'yaml';
import { LOG_STYLES, type LogStyle } from '../domain/settings.js';

/**
 * Start-up configuration: where to listen, where the data lives, what to proxy. Read once, in this
 * order, each overriding the one before: defaults < config file < environment < command-line flags.
 * This is the only module that reads `process.env`. Runtime settings (policies, permissions) live in
 * the database instead, so that every node shares them; see domain/settings.ts.
 */
export interface Config {
  /** TCP port of the gateway and the management API. Env TOKENGATE_PORT. Default 8080. */
  port: number;
  /** Interface to listen on. Env TOKENGATE_HOST. Default 0.0.0.0 (all IPv4 interfaces). */
  host: string;
  /**
   * The management plane (web UI, sign-in, management API, metrics) on a listener of its own, as
   * Kong's Admin API: never on the proxied application's origin, whose pages could otherwise act
   * with an administrator's session (docs/security.md). Env TOKENGATE_ADMIN_PORT, flag --admin-port.
   * Default 8001, as Kong's Admin API (0 when `port` is 0: a free port). null (`off`): no admin listener; the management
   * plane is then reachable only through `adminHostName`, or not at all.
   */
  adminPort: number | null;
  /** Interface of the admin listener. Env TOKENGATE_ADMIN_HOST, flag --admin-host. Default 127.0.0.1. */
  adminHost: string;
  /**
   * A host name of its own for the management plane on the gateway's listener (e.g.
   * `tokengate-admin.example.com`): requests whose Host is exactly this name go to the management
   * plane and never to the upstream; every other host name is the upstream's. A different host name
   * is a different origin. Env TOKENGATE_ADMIN_HOST_NAME. Default null.
   */
  adminHostName: string | null;
  /** Base URL requests are proxied to. Env TOKENGATE_UPSTREAM. null: the built-in demo upstream. */
  upstream: string | null;
  /** Directory of the SQLite database and other local state. Env TOKENGATE_DATA_DIR. Default ./data. */
  dataDir: string;
  /** A SQLite file path or a postgres:// URL. Env TOKENGATE_DB. Default <dataDir>/tokengate.db. */
  db: string;
  /** This node's name in logs and audit records. Env TOKENGATE_NODE_ID. Default <hostname>:<port>. */
  nodeId: string;
  /**
   * Redis for cluster mode: cluster-wide rate limits and instant change propagation between nodes.
   * Env TOKENGATE_REDIS, flag --redis. null: per-node rate limits, changes by database polling.
   */
  redis: string | null;
  /** Password of the first admin user, used only when the database is new. Env TOKENGATE_ADMIN_PASSWORD. */
  adminPassword: string | undefined;
  /** How often each process reads the change feed, in ms. Default 1000. */
  changePollMs: number;
  /** Token and user cache: most entries, and the safety-net lifetime in seconds. */
  cache: { maxEntries: number; ttlSeconds: number };
  /** The proxy's upstream connections and timeouts. */
  proxy: {
    connections: number;
    connectTimeoutMs: number;
    /** Until the upstream's response headers; past it the client gets 504. */
    headersTimeoutMs: number;
    /** Longest silence while a body streams. */
    bodyTimeoutMs: number;
    /** Largest request body read into memory before an upstream connection is taken; larger ones stream. */
    bufferBodyBytes: number;
    /** Request body bytes held in memory at once by the process; past it bodies stream instead. */
    bufferTotalBytes: number;
    /** Longest silence while a request body arrives (nginx's client_body_timeout); past it 408. */
    clientBodyTimeoutMs: number;
    /** Share of `connections`, in percent, that streamed request bodies may hold together. */
    streamingPercent: number;
    /** Streamed request bodies one client address may have in flight. */
    streamsPerClient: number;
    /** Longest wait for a streaming slot; past it 503 with Retry-After. 0: no wait. */
    streamWaitMs: number;
    /**
     * Longest wait for a client to take more of a response (nginx's send_timeout) while the upstream
     * read is paused for it; past it the upstream exchange is aborted and the client connection closed.
     */
    clientSendTimeoutMs: number;
  };
  /** Names of the identity headers sent upstream (and always stripped from clients), lower-case. */
  identityHeaders: { user: string; tokenId: string; scope: string };
  /** More client headers to strip on every request, e.g. ones an upstream trusts for identity. */
  stripHeaders: string[];
  /** How often last-used times are written, in ms. */
  lastUsedFlushMs: number;
  log: {
    /** Directory of tokengate.log. Default <dataDir>/logs. */
    dir: string;
    maxSizeMb: number;
    /** Rotated files kept besides the current one. */
    maxFiles: number;
    format: 'layout' | 'json';
    /** The log4j-style layout; default the seed's pattern. */
    pattern: string | null;
    /**
     * Pins this node's log style (`tokengate` or `seed`, see the `log.style` setting); null: the
     * runtime setting decides, on every node alike.
     */
    style: LogStyle | null;
    /** Also write each line to stderr. */
    console: boolean;
    /** Write <dir>/tokengate.log (on by default; an embedding application may turn it off). */
    file: boolean;
  };
  /**
   * Limits and timeouts of the HTTP server against oversized or slow client requests (config file
   * section `server:`). Each one answers the client with a 4xx and closes the connection.
   */
  server: {
    /** Most bytes of the request line and headers together (node's maxHeaderSize); more gets 431. */
    maxHeaderBytes: number;
    /** Time allowed from a connection's first byte (or its idle start) to the end of the headers; past it 408. */
    headersTimeoutMs: number;
    /** Time allowed to receive a whole request, its body included; past it 408. 0: no limit. */
    requestTimeoutMs: number;
    /** How long an idle keep-alive connection is kept open. */
    keepAliveTimeoutMs: number;
    /** Largest management API request body; more gets 413. The gateway streams bodies of any size. */
    maxApiBodyBytes: number;
  };
  /** The audit log's SIEM outputs and its writer (config file section `audit:`). */
  audit: {
    /** The audit file `<dir>/audit.jsonl`: one JSON object per record, rotated by size and count. */
    file: {
      /** Default false. */
      enabled: boolean;
      /** Directory of audit.jsonl, relative to the config file. Default <dataDir>/audit. */
      dir: string;
      /** Rotate before the file would pass this many MB. Default 100. */
      maxSizeMb: number;
      /** Rotated files kept beside the live one (audit.jsonl.1 newest). Default 100. */
      maxFiles: number;
    };
    /** RFC 5424 syslog. */
    syslog: {
      /** Default false. */
      enabled: boolean;
      /** udp: one datagram per record (RFC 5426). tcp: octet-counted frames (RFC 6587). Default udp. */
      transport: 'udp' | 'tcp';
      /** The receiver's host name or IP. Default 127.0.0.1. */
      host: string;
      /** Default 514. */
      port: number;
      /** Syslog facility, 0 to 23. Default 10 (authpriv). */
      facility: number;
      /** APP-NAME of each message: 1 to 48 printable ASCII characters. Default tokengate. */
      appName: string;
    };
    /** Selectable authentication events waiting to be written, at most (100 to 1000000). Default 10000. */
    queueSize: number;
    /** How often waiting authentication events are written, in ms (10 to 10000). Default 250. */
    flushIntervalMs: number;
    /**
     * Records younger than this many days are never purged, whatever `audit.retentionDays` and
     * `audit.maxRows` say (0 to 36500). Only the config file sets it: an administrator who can change
     * settings cannot shorten the trail of what they do. Default 90.
     */
    retentionFloorDays: number;
    /** The chain head is written to the anchor file and the log this often, in seconds (1 to 86400). Default 60. */
    anchorIntervalSeconds: number;
    /** Append-only file of chain-head anchors, relative to the config file. Default <dataDir>/audit/anchors.jsonl. */
    anchorFile: string;
  };
  /**
   * How token owners are told about their tokens (config file section `notifications:`): expiry
   * warnings, leaked tokens, reuse of rotated tokens. E-mail, a webhook, both or neither.
   */
  notifications: {
    /** E-mail over SMTP to the owner's address (users without one get none). null: no e-mail. */
    smtp: {
      host: string;
      /** Default 587. */
      port: number;
      /** TLS from the first byte (port 465). false: STARTTLS when the server offers it. Default false. */
      secure: boolean;
      /** SMTP AUTH user and password; both or neither. */
      user: string | null;
      password: string | null;
      /** The From: address. Default tokengate@<hostname>. */
      from: string;
    } | null;
    /** A JSON POST per notice, signed with HMAC-SHA256. null: no webhook. */
    webhook: {
      url: string;
      /** The HMAC key; the signature is in X-Tokengate-Signature: sha256=<hex>. */
      secret: string;
      /** Attempts per notice, with exponential back-off (1 s, 2 s, 4 s …). Default 5. */
      maxAttempts: number;
      /** Per attempt. Default 10000. */
      timeoutMs: number;
    } | null;
  };
  /**
   * The secret-scanning alert endpoint (config file section `secretScanning:`), in the format of
   * GitHub's secret scanning partner program: POST /_tokengate/api/v1/secret-scanning.
   */
  secretScanning: {
    /** Default false: the endpoint answers 404. */
    enabled: boolean;
    /** The scanner's ECDSA public keys (PEM) by key identifier; a signed alert must name one. */
    publicKeys: Array<{ id: string; pem: string }>;
  };
  /** Compatibility layers for scripts written against other token apps (config file section `compat:`). */
  compat: {
    /** The REST API of the seed's app under /rest/de.resolution.apitokenauth/latest. Default true. */
    resolutionApi: boolean;
  };
}

/** Flags the CLI passes through; undefined means "not given". */
export interface ConfigFlags {
  config?: string | undefined;
  port?: string | number | undefined;
  host?: string | undefined;
  adminPort?: string | number | undefined;
  adminHost?: string | undefined;
  upstream?: string | undefined;
  dataDir?: string | undefined;
  db?: string | undefined;
  nodeId?: string | undefined;
  redis?: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Source = Record<string, unknown>;

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

const FILE_KEYS = new Set([
  'redis',
  'proxy',
  'identityHeaders',
  'stripHeaders',
  'lastUsedFlushMs',
  'log',
  'port',
  'host',
  'adminPort',
  'adminHost',
  'adminHostName',
  'upstream',
  'dataDir',
  'db',
  'nodeId',
  'adminPassword',
  'changePollMs',
  'cache',
  'audit',
  'server',
  'notifications',
  'secretScanning',
  'compat',
]);

function intIn(name: string, v: unknown, min: number, max: number, from: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (${from}: ${JSON.stringify(v)})`);
  }
  return n;
}

function str(name: string, v: unknown, from: string): string {
  if (typeof v !== 'string' || v.trim().length === 0)
    throw new ConfigError(`${name} must be a non-empty string (${from})`);
  return v.trim();
}

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

type FieldReader<T> = (value: unknown, name: string) => T;

/**
 * Reads a nested mapping of the config file (e.g. `proxy:`), refusing unknown keys, with a default
 * for each key that is absent.
 */
function section<T extends Record<string, unknown>>(
  file: Source,
  name: string,
  fields: { [K in keyof T]: [FieldReader<T[K]>, T[K]] },
): T {
  const raw = file[name] ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`config file key ${name} must be a mapping`);
  }
  const data = raw as Source;
  for (const key of Object.keys(data)) {
    if (!(key in fields)) throw new ConfigError(`config file: unknown key "${name}.${key}"`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, [read, fallback]] of Object.entries(fields) as Array<
    [string, [FieldReader<unknown>, unknown]]
  >) {
    out[key] = data[key] === undefined ? fallback : read(data[key], `${name}.${key}`);
  }
  return out as T;
}

const bool: FieldReader<boolean> = (v, name) => {
  if (typeof v !== 'boolean') throw new ConfigError(`${name} must be true or false (config file)`);
  return v;
};

const intField =
  (min: number, max: number): FieldReader<number> =>
  (v, name) =>
    intIn(name, v, min, max, 'config file');

const headerName: FieldReader<string> = (v, name) => {
  if (typeof v !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(v)) {
    throw new ConfigError(`${name} must be an HTTP header name (config file)`);
  }
  return v.toLowerCase();
};

/** A nested mapping, read afterwards with {@link section}; an empty YAML key counts as an empty mapping. */
const mapping: FieldReader<Source> = (v, name) => {
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new ConfigError(`config file key ${name} must be a mapping`);
  return v as Source;
};

/** The config file's `server:` section. A request timeout shorter than the headers timeout is refused, as node would. */
function serverSection(file: Source): Config['server'] {
  const server = section<Config['server']>(file, 'server', {
    maxHeaderBytes: [intField(1024, 1_048_576), 16_384],
    headersTimeoutMs: [intField(100, 3_600_000), 10_000],
    requestTimeoutMs: [intField(0, 86_400_000), 300_000],
    keepAliveTimeoutMs: [intField(100, 3_600_000), 5_000],
    maxApiBodyBytes: [intField(1024, 104_857_600), 65_536],
  });
  if (server.requestTimeoutMs !== 0 && server.requestTimeoutMs < server.headersTimeoutMs) {
    throw new ConfigError(
      `server.requestTimeoutMs must be 0 or at least server.headersTimeoutMs (${server.headersTimeoutMs}) (config file: ${server.requestTimeoutMs})`,
    );
  }
  return server;
}

/** The config file's `audit:` section, its `file:` and `syslog:` mappings read as sections of their own. */
function auditSection(file: Source, fileDir: string, dataDir: string): Config['audit'] {
  const audit = section<{
    file: Source;
    syslog: Source;
    queueSize: number;
    flushIntervalMs: number;
    retentionFloorDays: number;
    anchorIntervalSeconds: number;
    anchorFile: string;
  }>(file, 'audit', {
    file: [mapping, {}],
    syslog: [mapping, {}],
    queueSize: [intField(100, 1_000_000), 10_000],
    flushIntervalMs: [intField(10, 10_000), 250],
    retentionFloorDays: [intField(0, 36_500), 90],
    anchorIntervalSeconds: [intField(1, 86_400), 60],
    anchorFile: [
      (v, n) => resolve(fileDir, str(n, v, 'config file')),
      join(dataDir, 'audit', 'anchors.jsonl'),
    ],
  });
  return {
    file: section<Config['audit']['file']>({ 'audit.file': audit.file }, 'audit.file', {
      enabled: [bool, false],
      dir: [(v, n) => resolve(fileDir, str(n, v, 'config file')), join(dataDir, 'audit')],
      maxSizeMb: [intField(1, 10_000), 100],
      maxFiles: [intField(0, 10_000), 100],
    }),
    syslog: section<Config['audit']['syslog']>({ 'audit.syslog': audit.syslog }, 'audit.syslog', {
      enabled: [bool, false],
      transport: [
        (v, n) => {
          if (v !== 'udp' && v !== 'tcp') throw new ConfigError(`${n} must be udp or tcp (config file)`);
          return v;
        },
        'udp',
      ],
      host: [(v, n) => str(n, v, 'config file'), '127.0.0.1'],
      port: [intField(1, 65_535), 514],
      facility: [intField(0, 23), 10],
      appName: [
        (v, n) => {
          if (typeof v !== 'string' || !/^[\x21-\x7e]{1,48}$/.test(v)) {
            throw new ConfigError(
              `${n} must be 1 to 48 printable ASCII characters without spaces (config file)`,
            );
          }
          return v;
        },
        'tokengate',
      ],
    }),
    queueSize: audit.queueSize,
    flushIntervalMs: audit.flushIntervalMs,
    retentionFloorDays: audit.retentionFloorDays,
    anchorIntervalSeconds: audit.anchorIntervalSeconds,
    anchorFile: audit.anchorFile,
  };
}

const httpUrl: FieldReader<string> = (v, name) => {
  const text = str(name, v, 'config file');
  let u: URL | null = null;
  try {
    u = new URL(text);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
    throw new ConfigError(`${name} must be an http:// or https:// URL (config file)`);
  return u.toString();
};

const text: FieldReader<string> = (v, name) => str(name, v, 'config file');

/** The config file's `notifications:` section: `smtp:` and `webhook:`, each absent (off) or a mapping. */
function notificationsSection(file: Source): Config['notifications'] {
  const n = section<{ smtp: Source | null; webhook: Source | null }>(file, 'notifications', {
    smtp: [mapping, null],
    webhook: [mapping, null],
  });
  let smtp: Config['notifications']['smtp'] = null;
  if (n.smtp) {
    smtp = section<NonNullable<Config['notifications']['smtp']>>(
      { 'notifications.smtp': n.smtp },
      'notifications.smtp',
      {
        host: [text, ''],
        port: [intField(1, 65_535), 587],
        secure: [bool, false],
        user: [text, null as string | null],
        password: [text, null as string | null],
        from: [text, `tokengate@${hostname()}`],
      },
    );
    if (!smtp.host) throw new ConfigError('notifications.smtp.host is required (config file)');
    if ((smtp.user === null) !== (smtp.password === null))
      throw new ConfigError(
        'notifications.smtp.user and notifications.smtp.password go together (config file)',
      );
  }
  let webhook: Config['notifications']['webhook'] = null;
  if (n.webhook) {
    webhook = section<NonNullable<Config['notifications']['webhook']>>(
      { 'notifications.webhook': n.webhook },
      'notifications.webhook',
      {
        url: [httpUrl, ''],
        secret: [text, ''],
        maxAttempts: [intField(1, 20), 5],
        timeoutMs: [intField(100, 120_000), 10_000],
      },
    );
    if (!webhook.url) throw new ConfigError('notifications.webhook.url is required (config file)');
    if (webhook.secret.length < 16)
      throw new ConfigError('notifications.webhook.secret must be at least 16 characters (config file)');
  }
  return { smtp, webhook };
}

/** The config file's `secretScanning:` section; `publicKeys` is a list of `{id, pem}`. */
function secretScanningSection(file: Source): Config['secretScanning'] {
  return section<Config['secretScanning']>(file, 'secretScanning', {
    enabled: [bool, false],
    publicKeys: [
      (v, name) => {
        if (!Array.isArray(v)) throw new ConfigError(`${name} must be a list of {id, pem} (config file)`);
        return v.map((k: unknown, i) => {
          const key = (k ?? {}) as Source;
          const id = str(`${name}[${i}].id`, key.id, 'config file');
          const pem = str(`${name}[${i}].pem`, key.pem, 'config file');
          if (!pem.includes('-----BEGIN PUBLIC KEY-----'))
            throw new ConfigError(`${name}[${i}].pem must be a PEM public key (config file)`);
          return { id, pem };
        });
      },
      [],
    ],
  });
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
    if (!FILE_KEYS.has(key)) throw new ConfigError(`config file ${path}: unknown key "${key}"`);
  }
  return data as Source;
}

/** Builds the configuration from the file, the environment and the flags. Throws ConfigError naming the bad value. */
export function loadConfig(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  role: 'server' | 'cli' = 'server',
): Config {
  const configPath = flags.config ?? env.TOKENGATE_CONFIG;
  const file = configPath ? readFile(resolve(configPath)) : {};
  // Paths in the file are relative to the file, not to wherever the command runs.
  const fileDir = configPath ? dirname(resolve(configPath)) : process.cwd();
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
  const cache = (file.cache ?? {}) as Record<string, unknown>;
  if (typeof cache !== 'object' || Array.isArray(cache))
    throw new ConfigError('config file key cache must be a mapping');

  const dbValue = db ? str('db', db.value, db.from) : join(dataDir, 'tokengate.db');
  const stripHeaders = file.stripHeaders ?? [];
  if (!Array.isArray(stripHeaders))
    throw new ConfigError('config file key stripHeaders must be a list of header names');
  const log = section<Config['log']>(file, 'log', {
    dir: [(v, n) => resolve(fileDir, str(n, v, 'config file')), join(dataDir, 'logs')],
    maxSizeMb: [intField(1, 10_000), 50],
    maxFiles: [intField(0, 1000), 10],
    format: [
      (v, n) => {
        if (v !== 'layout' && v !== 'json')
          throw new ConfigError(`${n} must be layout or json (config file)`);
        return v;
      },
      'layout',
    ],
    pattern: [
      (v, n) => {
        const pattern = str(n, v, 'config file');
        // Compiled once here, so that a bad pattern stops every command as a configuration error.
        try {
          compileLayout(pattern);
        } catch (err) {
          if (err instanceof LayoutError) throw new ConfigError(`${n} in the config file: ${err.message}`);
          throw err;
        }
        return pattern;
      },
      null as string | null,
    ],
    style: [
      (v, n) => {
        if (!LOG_STYLES.includes(v as LogStyle))
          throw new ConfigError(`${n} must be ${LOG_STYLES.join(' or ')} (config file)`);
        return v as LogStyle;
      },
      null as LogStyle | null,
    ],
    console: [bool, true],
    file: [bool, true],
  });
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
    proxy: section(file, 'proxy', {
      connections: [intField(1, 10_000), 128],
      connectTimeoutMs: [intField(100, 600_000), 5_000],
      headersTimeoutMs: [intField(100, 3_600_000), 60_000],
      bodyTimeoutMs: [intField(100, 3_600_000), 300_000],
      bufferBodyBytes: [intField(0, 104_857_600), 1_048_576],
      bufferTotalBytes: [intField(0, 4_294_967_296), 67_108_864],
      clientBodyTimeoutMs: [intField(100, 3_600_000), 30_000],
      streamingPercent: [intField(1, 100), 50],
      streamsPerClient: [intField(1, 10_000), 8],
      streamWaitMs: [intField(0, 600_000), 10_000],
      clientSendTimeoutMs: [intField(100, 3_600_000), 60_000],
    }),
    identityHeaders: section(file, 'identityHeaders', {
      user: [headerName, 'x-forwarded-user'],
      tokenId: [headerName, 'x-tokengate-token-id'],
      scope: [headerName, 'x-tokengate-scope'],
    }),
    stripHeaders: stripHeaders.map((h, i) => headerName(h, `stripHeaders[${i}]`)),
    lastUsedFlushMs:
      file.lastUsedFlushMs === undefined
        ? 5_000
        : intIn('lastUsedFlushMs', file.lastUsedFlushMs, 100, 3_600_000, 'config file'),
    log,
    audit: auditSection(file, fileDir, dataDir),
    server: serverSection(file),
    notifications: notificationsSection(file),
    secretScanning: secretScanningSection(file),
    compat: section(file, 'compat', { resolutionApi: [bool, true] }),
    cache: {
      maxEntries:
        cache.maxEntries === undefined
          ? 10_000
          : intIn('cache.maxEntries', cache.maxEntries, 10, 10_000_000, 'config file'),
      ttlSeconds:
        cache.ttlSeconds === undefined
          ? 60
          : intIn('cache.ttlSeconds', cache.ttlSeconds, 1, 86_400, 'config file'),
    },
  };
}
