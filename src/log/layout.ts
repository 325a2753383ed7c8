import type { LogLevel } from './levels.js';

/** Per-request values, the log4j "MDC" of the seed's layout. Missing values render as placeholders. */
export interface LogContext {
  username?: string;
  requestId?: string;
  sessionId?: string;
  ip?: string;
  url?: string;
}

export interface LogEvent {
  /** Epoch milliseconds. */
  time: number;
  level: LogLevel;
  /** The short logger name, `[%c]`. */
  logger: string;
  /** The worker or thread, `%t`. */
  thread: string;
  /** The cluster node id; only {@link jsonLayout} writes it. */
  node?: string;
  message: string;
  ctx: LogContext | undefined;
  err?: unknown;
}

/** Renders one event as one record; the result always ends with '\n'. */
export type Layout = (e: LogEvent) => string;

/** The seed's log4j pattern (see SEED-SCENARIOS.md, "The default log line layout"). */
export const DEFAULT_PATTERN =
  '%d{yyyy-MM-dd HH:mm:ss,SSSZ} %t %p %X{username} %X{request.id} %X{session.id} %X{ipaddr} %X{url} [%c] %m%n';

/** What `%d` without a format prints. */
export const DEFAULT_DATE_FORMAT = 'yyyy-MM-dd HH:mm:ss,SSSZ';

/** Continuation lines (of a multi-line message or an error's stack) start with this, never with a date. */
export const CONTINUATION_INDENT = '    ';

const MAX_CAUSES = 5;

/** A pattern that cannot be compiled; `position` is the 0-based offset in the pattern. */
export class LayoutError extends Error {
  constructor(
    message: string,
    readonly pattern: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position} in log pattern ${JSON.stringify(pattern)}`);
    this.name = 'LayoutError';
  }
}

export interface LayoutOptions {
  /**
   * The zone of `%d`. Default `'utc'` (offset `+0000`), so that lines from every node of a cluster sort
   * and compare without knowing where each node runs; `'local'` uses the process's zone.
   */
  timeZone?: 'utc' | 'local';
}

// ---------------------------------------------------------------------------------------------------
// Secret redaction

// `(?<![0-9A-Za-z])` rather than `\b`: `_` is a word character, so `\b` would miss a token glued to one.
const TOKEN_PATTERN = /(?<![0-9A-Za-z])([a-z][a-z0-9]{1,15})_[0-9A-Za-z]{36}(?![0-9A-Za-z])/g;

// An `Authorization` header value, with or without its scheme, or a `Basic`/`Bearer` credential anywhere.
// The value stops at quotes and backslashes so that redacting inside a JSON record keeps it valid JSON.
// The look-ahead spares prose such as "basic auth with password is disabled" or `Basic realm="x"`.
const CREDENTIAL_PATTERN =
  /\b(authorization["'\\]*\s*[:=]\s*["'\\]*(?:(?:basic|bearer|token)\s+)?|(?:basic|bearer)\s+(?!(?:auth|authentication|authorization|tokens?|realm|schemes?|credentials?|headers?|and|or)\b))[^\s"'\\,;]+/gi;

/**
 * Masks anything that looks like a tokengate token (`tgp_***`) or an HTTP credential (`Basic ***`,
 * `Bearer ***`, `Authorization: ***`).
 *
 * A last line of defence, not the primary mechanism: code must never put a secret into a log message
 * in the first place. This only limits the damage when it does; it cannot recognise every secret.
 */
export function redactSecrets(text: string): string {
  return text.replace(TOKEN_PATTERN, '$1_***').replace(CREDENTIAL_PATTERN, '$1***');
}

// ---------------------------------------------------------------------------------------------------
// Control characters: nothing a caller passes may start a line that looks like a record of its own.

/* eslint-disable no-control-regex -- finding control characters is the point of these two patterns */
const LINE_BREAK_OR_CONTROL = /\r\n?|[\u0000-\u0008\u000a-\u001f\u007f]/g;
const ANY_CONTROL = /[\u0000-\u001f\u007f]/g;
/* eslint-enable no-control-regex */

function escapeControl(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Multi-line text: line breaks become indented continuation lines, other controls are escaped. */
function indentLines(text: string): string {
  return text.replace(LINE_BREAK_OR_CONTROL, (c) =>
    c === '\n' || c === '\r' || c === '\r\n' ? `\n${CONTINUATION_INDENT}` : escapeControl(c),
  );
}

/** One field of a line: every control character, line breaks included, is escaped. */
function singleLine(text: string): string {
  return text.replace(ANY_CONTROL, escapeControl);
}

function describeOne(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

/** The stack of an error and of its causes, or `String(err)`; never throws. */
export function describeError(err: unknown): string {
  try {
    let text = describeOne(err);
    let cause = err instanceof Error ? err.cause : undefined;
    for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
      text += '\nCaused by: ' + describeOne(cause);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    return text;
  } catch {
    return '<unprintable error>';
  }
}

// ---------------------------------------------------------------------------------------------------
// Dates

type DateField = (shifted: Date, offsetMinutes: number) => string;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));

const DATE_FIELDS: Readonly<Record<string, DateField>> = {
  yyyy: (d) => String(d.getUTCFullYear()).padStart(4, '0'),
  MM: (d) => pad2(d.getUTCMonth() + 1),
  dd: (d) => pad2(d.getUTCDate()),
  HH: (d) => pad2(d.getUTCHours()),
  mm: (d) => pad2(d.getUTCMinutes()),
  ss: (d) => pad2(d.getUTCSeconds()),
  SSS: (d) => pad3(d.getUTCMilliseconds()),
  Z: (_d, offset) => {
    const abs = Math.abs(offset);
    return `${offset < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  },
};

const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/**
 * Compiles a date format: the fields of {@link DATE_FIELDS}, other letters are an error, anything else
 * is literal, and `'text'` quotes letters (`''` is one quote). `start` is where `format` begins in the
 * pattern, for error positions.
 */
function compileDate(
  format: string,
  pattern: string,
  start: number,
  zone: 'utc' | 'local',
): (time: number) => string {
  const parts: (string | DateField)[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format.charAt(i);
    if (isLetter(c)) {
      let end = i + 1;
      while (format.charAt(end) === c) end++;
      const field = DATE_FIELDS[format.slice(i, end)];
      if (field === undefined) {
        throw new LayoutError(`unknown date field '${format.slice(i, end)}'`, pattern, start + i);
      }
      parts.push(field);
      i = end;
    } else if (c === "'") {
      const close = format.indexOf("'", i + 1);
      if (close < 0) throw new LayoutError('unclosed quote in date format', pattern, start + i);
      parts.push(close === i + 1 ? "'" : format.slice(i + 1, close));
      i = close + 1;
    } else {
      parts.push(c);
      i++;
    }
  }
  const local = zone === 'local';
  return (time) => {
    // Shift the instant by the zone offset, then read UTC fields: they are the wall-clock fields.
    const offset = local ? -new Date(time).getTimezoneOffset() : 0;
    const shifted = new Date(time + offset * 60_000);
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : part(shifted, offset);
    return out;
  };
}

// ---------------------------------------------------------------------------------------------------
// Patterns

type Writer = (e: LogEvent) => string;

/** `%X{key}`: the seed's keys map to LogContext fields; any other key prints '-'. */
function mdcWriter(key: string): Writer {
  switch (key) {
    case 'username':
      return (e) => (e.ctx?.username ? singleLine(e.ctx.username) : 'anonymous');
    case 'request.id':
      return (e) => (e.ctx?.requestId ? singleLine(e.ctx.requestId) : '-');
    case 'session.id':
      return (e) => (e.ctx?.sessionId ? singleLine(e.ctx.sessionId) : '-');
    case 'ipaddr':
      return (e) => (e.ctx?.ip ? singleLine(e.ctx.ip) : '-');
    case 'url':
      return (e) => (e.ctx?.url ? singleLine(e.ctx.url) : '-');
    default:
      return () => '-';
  }
}

/** Every conversion character a pattern may use. */
const CONVERSIONS = 'dtpcmnX%';

const SIMPLE_WRITERS: Readonly<Record<string, Writer>> = {
  t: (e) => e.thread,
  p: (e) => e.level,
  c: (e) => e.logger,
  m: (e) => indentLines(e.message),
};

/**
 * Compiles a log4j-style pattern once into a list of field writers; the returned layout only runs them.
 *
 * Conversions: `%d` / `%d{format}` (fields yyyy MM dd HH mm ss SSS Z; UTC unless `timeZone: 'local'`),
 * `%t` thread, `%p` level, `%c` logger, `%m` message, `%n` newline, `%%` percent, `%X{key}` context
 * (`username` → 'anonymous' when missing; `request.id`, `session.id`, `ipaddr`, `url` and unknown keys
 * → '-'). The record always ends with one newline (added when the pattern has no trailing `%n`); an
 * event's error follows the line, each of its lines indented. The whole record then passes through
 * {@link redactSecrets}.
 *
 * @throws LayoutError for an unknown conversion, an unclosed `{`, or a bad date format.
 */
export function compileLayout(pattern: string, options: LayoutOptions = {}): Layout {
  const zone = options.timeZone ?? 'utc';
  const parts: (string | Writer)[] = [];
  let literal = '';
  const flushLiteral = (): void => {
    if (literal !== '') parts.push(literal);
    literal = '';
  };

  let i = 0;
  while (i < pattern.length) {
    const c = pattern.charAt(i);
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    if (i + 1 >= pattern.length) throw new LayoutError("dangling '%'", pattern, i);
    const conversion = pattern.charAt(i + 1);
    if (!CONVERSIONS.includes(conversion)) {
      throw new LayoutError(`unknown conversion '%${conversion}'`, pattern, i);
    }
    let option: string | undefined;
    let next = i + 2;
    if (conversion !== '%' && pattern.charAt(next) === '{') {
      const close = pattern.indexOf('}', next + 1);
      if (close < 0) throw new LayoutError("unclosed '{'", pattern, next);
      option = pattern.slice(next + 1, close);
      next = close + 1;
    }
    if (option !== undefined && conversion !== 'd' && conversion !== 'X') {
      throw new LayoutError(`'%${conversion}' takes no {option}`, pattern, i);
    }

    const simple = SIMPLE_WRITERS[conversion];
    if (conversion === 'n') {
      literal += '\n';
    } else if (conversion === '%') {
      literal += '%';
    } else if (simple !== undefined) {
      flushLiteral();
      parts.push(simple);
    } else if (conversion === 'd') {
      flushLiteral();
      const format = option ?? DEFAULT_DATE_FORMAT;
      const formatDate = compileDate(format, pattern, option === undefined ? i : i + 3, zone);
      parts.push((e) => formatDate(e.time));
    } else {
      // '%X', the only conversion left.
      if (option === undefined || option === '') throw new LayoutError("'%X' needs a {key}", pattern, i);
      flushLiteral();
      parts.push(mdcWriter(option));
    }
    i = next;
  }
  flushLiteral();

  // The record's own final newline is added below, after the error's stack.
  const last = parts.at(-1);
  if (typeof last === 'string' && last.endsWith('\n')) {
    if (last.length === 1) parts.pop();
    else parts[parts.length - 1] = last.slice(0, -1);
  }

  return (e) => {
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : part(e);
    if (e.err !== undefined) out += `\n${CONTINUATION_INDENT}${indentLines(describeError(e.err))}`;
    return redactSecrets(out) + '\n';
  };
}

/**
 * One JSON object per line, for log shippers. Missing context values are `null` (not the text layout's
 * placeholders); `node` appears only when the event has one, `error` only when it has an error.
 */
export function jsonLayout(e: LogEvent): string {
  const ctx = e.ctx;
  const record: Record<string, unknown> = {
    time: new Date(e.time).toISOString(),
    level: e.level,
    logger: e.logger,
    thread: e.thread,
  };
  if (e.node !== undefined) record.node = e.node;
  record.message = e.message;
  record.username = ctx?.username ?? null;
  record.requestId = ctx?.requestId ?? null;
  record.sessionId = ctx?.sessionId ?? null;
  record.ip = ctx?.ip ?? null;
  record.url = ctx?.url ?? null;
  if (e.err !== undefined) record.error = describeError(e.err);
  return redactSecrets(JSON.stringify(record)) + '\n';
}
