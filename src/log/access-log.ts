import type { LogSink } from './sinks.js';

/**
 * The access log (config `accessLog:`): one line per request the gateway answered for the proxied
 * application (reverse proxy and forward-auth), in a file of its own. `combined` is Apache's and
 * nginx's combined format with tokengate's fields appended as `key=value`, the way nginx's
 * `log_format` extensions add them; `json` is one object per line.
 *
 * The line never holds a secret: the path is logged without its query string (a query may carry a
 * token), the referer likewise, and the token appears only as its id.
 */

export type AccessLogFormat = 'combined' | 'json';

/** The gateway's listeners whose requests are logged (as the metrics' `entrypoint` label). */
export type AccessEntrypoint = 'proxy' | 'forward_auth';

/** One answered request, as the edges observed it. */
export interface AccessRecord {
  /** When the request arrived, ms since the epoch. */
  time: number;
  entrypoint: AccessEntrypoint;
  clientIp: string;
  method: string;
  /** The path without the query string. For forward-auth, the original request's. */
  path: string;
  /** `1.1`, `1.0`, `2.0`. */
  httpVersion: string;
  /** What the client got; 499 when it went away before any answer (nginx's convention). */
  status: number;
  /** Response body bytes sent; null when not known. */
  bytes: number | null;
  referer: string | undefined;
  userAgent: string | undefined;
  requestId: string;
  /** The authenticated user; null for a refused or unauthenticated request. */
  user: string | null;
  /** The token's id (never its secret); null without a token. */
  tokenId: string | null;
  /** The upstream's status; null when no upstream answered (refused, failed, forward-auth). */
  upstreamStatus: number | null;
  /** Time in the authentication step, ms; null when it did not run. */
  authMs: number | null;
  /** Time to the upstream's response headers, ms; null when no upstream answered. */
  upstreamMs: number | null;
  /** From arrival to the end of the answer, ms. */
  durationMs: number;
  /** The W3C trace id with tracing on; null otherwise. */
  traceId: string | null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `10/Oct/2000:13:55:36 +0000`: combined's `%t` (`$time_local`), in UTC. */
export function combinedTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()] ?? ''}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/** The last second formatted: the requests of one second share it (a Date and six getters saved per line). */
let cachedSecond = -1;
let cachedTime = '';

function timeOf(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedTime = combinedTime(ms);
    cachedSecond = second;
  }
  return cachedTime;
}

/** Characters that would break a quoted field or the line: as nginx escapes them, `\xHH`. */
// eslint-disable-next-line no-control-regex -- control characters are what must be escaped
const UNSAFE_QUOTED = /["\\\x00-\x1f\x7f-\uffff]/g;
/** In an unquoted field a space would also split it. */
// eslint-disable-next-line no-control-regex -- control characters are what must be escaped
const UNSAFE_BARE = /[ "\\\x00-\x1f\x7f-\uffff]/g;
/** The same without the global flag, whose test() keeps no position: most values need no escaping. */
const NEEDS_QUOTING = new RegExp(UNSAFE_QUOTED.source);
const NEEDS_ESCAPING = new RegExp(UNSAFE_BARE.source);

function hex(c: string): string {
  const code = c.charCodeAt(0);
  return code > 0xff
    ? `\\u${code.toString(16).padStart(4, '0')}`
    : `\\x${code.toString(16).padStart(2, '0')}`;
}

function quoted(v: string | null | undefined): string {
  if (v === null || v === undefined || v === '') return '"-"';
  return NEEDS_QUOTING.test(v) ? `"${v.replace(UNSAFE_QUOTED, hex)}"` : `"${v}"`;
}

function bare(v: string | null | undefined): string {
  if (v === null || v === undefined || v === '') return '-';
  return NEEDS_ESCAPING.test(v) ? v.replace(UNSAFE_BARE, hex) : v;
}

const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(3));

/** A URL without its query string and fragment: either may carry a secret. */
export function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * `client - user [time] "METHOD /path HTTP/1.1" status bytes "referer" "user-agent"`, then
 * `request_id=… token_id=… upstream_status=… auth_ms=… upstream_ms=… request_ms=… trace_id=…
 * entrypoint=…` (`-` for a value that does not apply).
 */
export function formatCombined(r: AccessRecord): string {
  return (
    `${bare(r.clientIp)} - ${bare(r.user)} [${timeOf(r.time)}] ` +
    `${quoted(`${r.method} ${r.path} HTTP/${r.httpVersion}`)} ${r.status} ${r.bytes ?? '-'} ` +
    `${quoted(r.referer === undefined ? undefined : withoutQuery(r.referer))} ${quoted(r.userAgent)} ` +
    `request_id=${bare(r.requestId)} token_id=${bare(r.tokenId)} upstream_status=${r.upstreamStatus ?? '-'} ` +
    `auth_ms=${ms(r.authMs)} upstream_ms=${ms(r.upstreamMs)} request_ms=${ms(r.durationMs)} ` +
    `trace_id=${bare(r.traceId)} entrypoint=${r.entrypoint}\n`
  );
}

/** One JSON object: the record's fields, the time as ISO 8601, durations rounded to microseconds. */
export function formatJson(r: AccessRecord): string {
  return `${JSON.stringify({
    time: new Date(r.time).toISOString(),
    entrypoint: r.entrypoint,
    client_ip: r.clientIp,
    method: r.method,
    path: r.path,
    protocol: `HTTP/${r.httpVersion}`,
    status: r.status,
    bytes: r.bytes,
    referer: r.referer === undefined ? null : withoutQuery(r.referer),
    user_agent: r.userAgent ?? null,
    request_id: r.requestId,
    user: r.user,
    token_id: r.tokenId,
    upstream_status: r.upstreamStatus,
    auth_ms: round(r.authMs),
    upstream_ms: round(r.upstreamMs),
    request_ms: round(r.durationMs),
    trace_id: r.traceId,
  })}\n`;
}

function round(v: number | null): number | null {
  return v === null ? null : Math.round(v * 1000) / 1000;
}

/** Writes one line per request to its sink (an asynchronous rotating file: `record` only queues). */
export class AccessLog {
  private readonly format: (r: AccessRecord) => string;

  constructor(
    private readonly sink: LogSink,
    format: AccessLogFormat,
  ) {
    this.format = format === 'json' ? formatJson : formatCombined;
  }

  record(r: AccessRecord): void {
    this.sink.write(this.format(r));
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}
