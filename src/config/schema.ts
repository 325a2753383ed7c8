import { hostname } from 'node:os';
import { join } from 'node:path';
import { compileLayout, LayoutError } from '../log/layout.js';
import { LOG_STYLES, type LogStyle } from '../domain/settings.js';
import { AUTH, IDENTITY } from './identity.js';
import { ADMIN_TLS, TLS } from './tls.js';
import {
  bool,
  ConfigError,
  field,
  type FieldReader,
  filePath,
  headerName,
  httpUrl,
  intField,
  oneOf,
  optionalSub,
  type SectionOf,
  str,
  sub,
  text,
} from './readers.js';

/**
 * The config file's sections, each key declared once with its reader and default; the types in
 * {@link Config} come from these declarations (see readers.ts). The top-level keys, which the
 * environment and flags can also set, are read in load.ts.
 */

/** Token and user cache (`cache:`). */
export const CACHE = {
  /** Most tokens, and separately most users, held by each process. */
  maxEntries: field(intField(10, 10_000_000), 10_000),
  /** The safety-net lifetime of an entry, in seconds. */
  ttlSeconds: field(intField(1, 86_400), 60),
};

/** The proxy's upstream connections and timeouts (`proxy:`). */
export const PROXY = {
  connections: field(intField(1, 10_000), 128),
  connectTimeoutMs: field(intField(100, 600_000), 5_000),
  /** Until the upstream's response headers; past it the client gets 504. */
  headersTimeoutMs: field(intField(100, 3_600_000), 60_000),
  /** Longest silence while a body streams. */
  bodyTimeoutMs: field(intField(100, 3_600_000), 300_000),
  /** Largest request body read into memory before an upstream connection is taken; larger ones stream. */
  bufferBodyBytes: field(intField(0, 104_857_600), 1_048_576),
  /** Request body bytes held in memory at once by the process; past it bodies stream instead. */
  bufferTotalBytes: field(intField(0, 4_294_967_296), 67_108_864),
  /** Longest silence while a request body arrives (nginx's client_body_timeout); past it 408. */
  clientBodyTimeoutMs: field(intField(100, 3_600_000), 30_000),
  /** Share of `connections`, in percent, that streamed request bodies may hold together. */
  streamingPercent: field(intField(1, 100), 50),
  /** Streamed request bodies one client address may have in flight. */
  streamsPerClient: field(intField(1, 10_000), 8),
  /** Longest wait for a streaming slot; past it 503 with Retry-After. 0: no wait. */
  streamWaitMs: field(intField(0, 600_000), 10_000),
  /**
   * Longest wait for a client to take more of a response (nginx's send_timeout) while the upstream
   * read is paused for it; past it the upstream exchange is aborted and the client connection closed.
   */
  clientSendTimeoutMs: field(intField(100, 3_600_000), 60_000),
};

/** Names of the identity headers sent upstream (and always stripped from clients), lower-case (`identityHeaders:`). */
export const IDENTITY_HEADERS = {
  user: field(headerName, 'x-forwarded-user'),
  tokenId: field(headerName, 'x-tokengate-token-id'),
  scope: field(headerName, 'x-tokengate-scope'),
};

/** Compiled once here, so that a bad pattern stops every command as a configuration error. */
const layoutPattern: FieldReader<string | null> = (v, n) => {
  const pattern = str(n, v, 'config file');
  try {
    compileLayout(pattern);
  } catch (err) {
    if (err instanceof LayoutError) throw new ConfigError(`${n} in the config file: ${err.message}`);
    throw err;
  }
  return pattern;
};

/** The log file and console (`log:`). */
export const LOG = {
  /** Directory of tokengate.log. Default <dataDir>/logs. */
  dir: field(filePath, (ctx) => join(ctx.dataDir, 'logs')),
  maxSizeMb: field(intField(1, 10_000), 50),
  /** Rotated files kept besides the current one. */
  maxFiles: field(intField(0, 1000), 10),
  format: field(oneOf(['layout', 'json']), 'layout'),
  /** The log4j-style layout; default the seed's pattern. */
  pattern: field(layoutPattern, null),
  /**
   * Pins this node's log style (`tokengate` or `seed`, see the `log.style` setting); null: the
   * runtime setting decides, on every node alike.
   */
  style: field<LogStyle | null>(oneOf(LOG_STYLES), null),
  /** Also write each line to stderr. */
  console: field(bool, true),
  /** Write <dir>/tokengate.log (on by default; an embedding application may turn it off). */
  file: field(bool, true),
};

/**
 * Limits and timeouts of the HTTP server against oversized or slow client requests (`server:`).
 * Each one answers the client with a 4xx and closes the connection.
 */
export const SERVER = {
  /** Most bytes of the request line and headers together (node's maxHeaderSize); more gets 431. */
  maxHeaderBytes: field(intField(1024, 1_048_576), 16_384),
  /** Time allowed from a connection's first byte (or its idle start) to the end of the headers; past it 408. */
  headersTimeoutMs: field(intField(100, 3_600_000), 10_000),
  /** Time allowed to receive a whole request, its body included; past it 408. 0: no limit. */
  requestTimeoutMs: field(intField(0, 86_400_000), 300_000),
  /** How long an idle keep-alive connection is kept open. */
  keepAliveTimeoutMs: field(intField(100, 3_600_000), 5_000),
  /** Largest management API request body; more gets 413. The gateway streams bodies of any size. */
  maxApiBodyBytes: field(intField(1024, 104_857_600), 65_536),
};

/** A request timeout shorter than the headers timeout is refused, as node would. */
export function checkServer(server: SectionOf<typeof SERVER>): void {
  if (server.requestTimeoutMs !== 0 && server.requestTimeoutMs < server.headersTimeoutMs) {
    throw new ConfigError(
      `server.requestTimeoutMs must be 0 or at least server.headersTimeoutMs (${server.headersTimeoutMs}) (config file: ${server.requestTimeoutMs})`,
    );
  }
}

/** The audit file `<dir>/audit.jsonl`: one JSON object per record, rotated by size and count. */
export const AUDIT_FILE = {
  /** Default false. */
  enabled: field(bool, false),
  /** Directory of audit.jsonl, relative to the config file. Default <dataDir>/audit. */
  dir: field(filePath, (ctx) => join(ctx.dataDir, 'audit')),
  /** Rotate before the file would pass this many MB. Default 100. */
  maxSizeMb: field(intField(1, 10_000), 100),
  /** Rotated files kept beside the live one (audit.jsonl.1 newest). Default 100. */
  maxFiles: field(intField(0, 10_000), 100),
};

/** RFC 5424 syslog. */
export const AUDIT_SYSLOG = {
  /** Default false. */
  enabled: field(bool, false),
  /** udp: one datagram per record (RFC 5426). tcp: octet-counted frames (RFC 6587). Default udp. */
  transport: field(oneOf(['udp', 'tcp']), 'udp'),
  /** The receiver's host name or IP. Default 127.0.0.1. */
  host: field(text, '127.0.0.1'),
  /** Default 514. */
  port: field(intField(1, 65_535), 514),
  /** Syslog facility, 0 to 23. Default 10 (authpriv). */
  facility: field(intField(0, 23), 10),
  /** APP-NAME of each message: 1 to 48 printable ASCII characters. Default tokengate. */
  appName: field((v, n) => {
    if (typeof v !== 'string' || !/^[\x21-\x7e]{1,48}$/.test(v)) {
      throw new ConfigError(`${n} must be 1 to 48 printable ASCII characters without spaces (config file)`);
    }
    return v;
  }, 'tokengate'),
};

/** The audit log's SIEM outputs and its writer (`audit:`). */
export const AUDIT = {
  file: sub(AUDIT_FILE),
  syslog: sub(AUDIT_SYSLOG),
  /** Selectable authentication events waiting to be written, at most (100 to 1000000). Default 10000. */
  queueSize: field(intField(100, 1_000_000), 10_000),
  /** How often waiting authentication events are written, in ms (10 to 10000). Default 250. */
  flushIntervalMs: field(intField(10, 10_000), 250),
  /**
   * Records younger than this many days are never purged, whatever `audit.retentionDays` and
   * `audit.maxRows` say (0 to 36500). Only the config file sets it: an administrator who can change
   * settings cannot shorten the trail of what they do. Default 90.
   */
  retentionFloorDays: field(intField(0, 36_500), 90),
  /** The chain head is written to the anchor file and the log this often, in seconds (1 to 86400). Default 60. */
  anchorIntervalSeconds: field(intField(1, 86_400), 60),
  /** Append-only file of chain-head anchors, relative to the config file. Default <dataDir>/audit/anchors.jsonl. */
  anchorFile: field(filePath, (ctx) => join(ctx.dataDir, 'audit', 'anchors.jsonl')),
};

/** E-mail over SMTP to the owner's address (users without one get none). */
export const SMTP = {
  /** Required. */
  host: field(text, ''),
  /** Default 587. */
  port: field(intField(1, 65_535), 587),
  /** TLS from the first byte (port 465). false: STARTTLS when the server offers it. Default false. */
  secure: field(bool, false),
  /** SMTP AUTH user and password; both or neither. */
  user: field<string | null>(text, null),
  password: field<string | null>(text, null),
  /** The From: address. Default tokengate@<hostname>. */
  from: field(text, () => `tokengate@${hostname()}`),
};

/** A JSON POST per notice, signed with HMAC-SHA256. */
export const WEBHOOK = {
  /** Required. */
  url: field(httpUrl, ''),
  /** The HMAC key; the signature is in X-Tokengate-Signature: sha256=<hex>. */
  secret: field(text, ''),
  /** Attempts per notice, with exponential back-off (1 s, 2 s, 4 s …). Default 5. */
  maxAttempts: field(intField(1, 20), 5),
  /** Per attempt. Default 10000. */
  timeoutMs: field(intField(100, 120_000), 10_000),
};

/**
 * How token owners are told about their tokens (`notifications:`): expiry warnings, leaked
 * tokens, reuse of rotated tokens. E-mail, a webhook, both or neither; each absent (off) or a mapping.
 */
export const NOTIFICATIONS = {
  /** null: no e-mail. */
  smtp: optionalSub(SMTP, (smtp) => {
    if (!smtp.host) throw new ConfigError('notifications.smtp.host is required (config file)');
    if ((smtp.user === null) !== (smtp.password === null))
      throw new ConfigError(
        'notifications.smtp.user and notifications.smtp.password go together (config file)',
      );
  }),
  /** null: no webhook. */
  webhook: optionalSub(WEBHOOK, (webhook) => {
    if (!webhook.url) throw new ConfigError('notifications.webhook.url is required (config file)');
    if (webhook.secret.length < 16)
      throw new ConfigError('notifications.webhook.secret must be at least 16 characters (config file)');
  }),
};

/**
 * The secret-scanning alert endpoint (`secretScanning:`), in the format of GitHub's secret scanning
 * partner program: POST /_tokengate/api/v1/secret-scanning.
 */
export const SECRET_SCANNING = {
  /** Default false: the endpoint answers 404. */
  enabled: field(bool, false),
  /** The scanner's ECDSA public keys (PEM) by key identifier; a signed alert must name one. */
  publicKeys: field<Array<{ id: string; pem: string }>>((v, name) => {
    if (!Array.isArray(v)) throw new ConfigError(`${name} must be a list of {id, pem} (config file)`);
    return v.map((k: unknown, i) => {
      const key = (k ?? {}) as Record<string, unknown>;
      const id = str(`${name}[${i}].id`, key.id, 'config file');
      const pem = str(`${name}[${i}].pem`, key.pem, 'config file');
      if (!pem.includes('-----BEGIN PUBLIC KEY-----'))
        throw new ConfigError(`${name}[${i}].pem must be a PEM public key (config file)`);
      return { id, pem };
    });
  }, []),
};

/** Compatibility layers for scripts written against other token apps (`compat:`). */
export const COMPAT = {
  /** The REST API of the seed's app under /rest/de.resolution.apitokenauth/latest. Default true. */
  resolutionApi: field(bool, true),
};

/**
 * The metrics listener (`metrics:`): /metrics, /livez and /readyz without credentials, on a port of
 * its own (src/http/metrics-listener.ts). Off by default; on loopback unless `host` says otherwise.
 */
export const METRICS = {
  /** Off: no metrics listener (metrics stay at /_tokengate/metrics for the admin group). */
  enabled: field(bool, false),
  /** 9464, the port OpenTelemetry's Prometheus exporter uses; 0: a free port. */
  port: field(intField(0, 65_535), 9464),
  host: field(text, '127.0.0.1'),
};

/**
 * The access log (`accessLog:`): one line per proxied and forward-auth request, in a file of its own,
 * rotated like the main log (src/log/access-log.ts, docs/observability.md). Off by default.
 */
export const ACCESS_LOG = {
  enabled: field(bool, false),
  /** `combined`: Apache/nginx combined plus tokengate's fields; `json`: one object per line. */
  format: field(oneOf(['combined', 'json']), 'combined'),
  /** The file, relative to the config file. Default <dataDir>/logs/access.log. */
  file: field(filePath, (ctx) => join(ctx.dataDir, 'logs', 'access.log')),
  /** Rotate before the file would pass this many MB (as log.maxSizeMb). */
  maxSizeMb: field(intField(1, 10_000), 50),
  /** Rotated files kept beside the live one (access.log.1 newest). */
  maxFiles: field(intField(0, 1000), 10),
};

/** A number from 0 to 1; from an environment variable it arrives as text (env.ts passes decimals through). */
const ratio: FieldReader<number> = (given, n) => {
  const v = typeof given === 'string' && /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(given) ? Number(given) : given;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)
    throw new ConfigError(`${n} must be a number from 0 to 1 (config file)`);
  return v;
};

/**
 * Traces (`tracing:`): W3C traceparent to the upstream and, with an endpoint, OTLP/HTTP export of a
 * span per request with children for authentication and the upstream call (src/tracing/). Off by
 * default, and then the OpenTelemetry SDK is not even loaded.
 */
export const TRACING = {
  enabled: field(bool, false),
  /** Share of new traces sampled; a caller's traceparent decides for its own trace. */
  sampleRatio: field(ratio, 1),
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces; null: propagate, export nothing. */
  otlpEndpoint: field<string | null>(httpUrl, null),
  /** The service.name resource attribute of the spans. */
  serviceName: field(text, 'tokengate'),
};

/** What readiness (/readyz) checks besides the database (`health:`). */
export const HEALTH = {
  /** In cluster mode, Redis answers PING. Every node shares one Redis: see docs/observability.md. */
  redis: field(bool, true),
  /** The upstream accepts a TCP connection. */
  upstream: field(bool, false),
};

/** Every section of the config file, by its key. */
export const SECTIONS = {
  log: LOG,
  proxy: PROXY,
  identityHeaders: IDENTITY_HEADERS,
  audit: AUDIT,
  server: SERVER,
  notifications: NOTIFICATIONS,
  secretScanning: SECRET_SCANNING,
  compat: COMPAT,
  cache: CACHE,
  identity: IDENTITY,
  auth: AUTH,
  tls: TLS,
  adminTls: ADMIN_TLS,
  metrics: METRICS,
  health: HEALTH,
  accessLog: ACCESS_LOG,
  tracing: TRACING,
};

/** The config file's top-level keys that are not sections; load.ts reads them, most also from env and flags. */
export const TOP_LEVEL_KEYS = [
  'port',
  'host',
  'adminPort',
  'adminHost',
  'adminHostName',
  'upstream',
  'dataDir',
  'db',
  'nodeId',
  'redis',
  'adminPassword',
  'changePollMs',
  'stripHeaders',
  'lastUsedFlushMs',
] as const;

/** Every key the config file may hold at its top level. */
export const FILE_KEYS: readonly string[] = [...TOP_LEVEL_KEYS, ...Object.keys(SECTIONS)];

/** The sections' values, as read by their declarations. */
export type Sections = { [K in keyof typeof SECTIONS]: SectionOf<(typeof SECTIONS)[K]> };

/**
 * Start-up configuration: where to listen, where the data lives, what to proxy. Read once, in this
 * order, each overriding the one before: defaults < config file < environment < command-line flags
 * (load.ts). Runtime settings (policies, permissions) live in the database instead, so that every
 * node shares them; see domain/settings.ts. The sections' types come from their declarations above.
 */
export interface Config extends Sections {
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
  /** More client headers to strip on every request, e.g. ones an upstream trusts for identity. */
  stripHeaders: string[];
  /** How often last-used times are written, in ms. */
  lastUsedFlushMs: number;
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

/** TOP_LEVEL_KEYS lists exactly the keys of Config that are not sections (checked by the compiler). */
type TopLevel = Exclude<keyof Config, keyof Sections>;
type Listed = (typeof TOP_LEVEL_KEYS)[number];
type ListsExactly = [TopLevel] extends [Listed] ? ([Listed] extends [TopLevel] ? true : never) : never;
export const TOP_LEVEL_KEYS_COMPLETE: ListsExactly = true;
