import { atlassianCategoryConversion, categoryConversion } from './category.js';
import { DateFormatError, compileDateFormat } from './date-format.js';
import type { LogLevel } from './levels.js';
import { CONTINUATION_INDENT, describeError, indentLines, redactSecrets, singleLine } from './sanitize.js';

export { CONTINUATION_INDENT, describeError, redactSecrets } from './sanitize.js';

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
  /**
   * The logger's category, `%c`: a dotted name, short for tokengate's own loggers (`auth.filter`), a Java
   * class name in the seed's log style (`de.resolution.apitokenauth.platform.auth.ApiTokenRateLimiter`).
   */
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

/**
 * The seed's log4j pattern (see SEED-SCENARIOS.md, "The default log line layout"), with tokengate's
 * context keys; `%q{2}` prints tokengate's short logger names whole and the seed's categories as the seed
 * does (`d.r.a.platform.auth.ApiTokenAuthSharedBase`).
 */
export const DEFAULT_PATTERN =
  '%d{yyyy-MM-dd HH:mm:ss,SSSZ} %t %p %X{username} %X{request.id} %X{session.id} %X{ipaddr} %X{url} [%q{2}] %m%n';

/** What `%d` without a format prints. */
export const DEFAULT_DATE_FORMAT = 'yyyy-MM-dd HH:mm:ss,SSSZ';

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
// Patterns

type Writer = (e: LogEvent) => string;

const username: Writer = (e) => (e.ctx?.username ? singleLine(e.ctx.username) : 'anonymous');
const requestId: Writer = (e) => (e.ctx?.requestId ? singleLine(e.ctx.requestId) : '-');
const sessionId: Writer = (e) => (e.ctx?.sessionId ? singleLine(e.ctx.sessionId) : '-');
const clientIp: Writer = (e) => (e.ctx?.ip ? singleLine(e.ctx.ip) : '-');
const url: Writer = (e) => (e.ctx?.url ? singleLine(e.ctx.url) : '-');

/** `%X{key}`: tokengate's keys and the MDC keys of Jira's log4j configuration, for the same values. */
const MDC_KEYS: Readonly<Record<string, Writer>> = {
  username,
  'request.id': requestId,
  'session.id': sessionId,
  ipaddr: clientIp,
  url,
  'jira.username': username,
  'jira.request.id': requestId,
  'jira.request.assession.id': sessionId,
  'jira.request.ipaddr': clientIp,
  'jira.request.url': url,
};

const MDC_KEY_LIST = Object.keys(MDC_KEYS).join(', ');

/** The conversion characters tokengate prints. */
const CONVERSIONS = 'dtpcqmrnX';
const KNOWN = '%d %t %p %c %q %m %r %n %X{key}, and %% for a percent sign';

/** log4j 2 and logback names of the same conversions; the longest name a pattern starts with wins. */
const LONG_NAMES: Readonly<Record<string, string>> = {
  date: 'd',
  thread: 't',
  level: 'p',
  logger: 'c',
  message: 'm',
  msg: 'm',
  relative: 'r',
  mdc: 'X',
  MDC: 'X',
  class: 'C',
  file: 'F',
  location: 'l',
  caller: 'l',
  line: 'L',
  method: 'M',
  ndc: 'x',
  NDC: 'x',
  ex: 'throwable',
  exception: 'throwable',
  throwable: 'throwable',
  xEx: 'throwable',
  xException: 'throwable',
  xThrowable: 'throwable',
  rEx: 'throwable',
  rException: 'throwable',
  rThrowable: 'throwable',
};
const LONG_NAMES_LONGEST_FIRST = Object.keys(LONG_NAMES).sort((a, b) => b.length - a.length);

const CALL_SITES = 'tokengate does not capture call sites';
/** Conversions of log4j that tokengate cannot print, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  C: `(the caller's class) is not available: ${CALL_SITES}; use '%c', the logger's category`,
  F: `(the caller's file name) is not available: ${CALL_SITES}; remove it`,
  l: `(the caller's location) is not available: ${CALL_SITES}; use '%c', the logger's category`,
  L: `(the caller's line number) is not available: ${CALL_SITES}; remove it`,
  M: `(the caller's method) is not available: ${CALL_SITES}; remove it`,
  x: "(the NDC) is not available: tokengate has no nested diagnostic context; use '%X{key}' for the request's context",
  throwable:
    "is not needed: tokengate always writes an event's error after its line, each line of the stack indented; remove it",
};

const SIMPLE_WRITERS: Readonly<Record<string, Writer>> = {
  t: (e) => e.thread,
  p: (e) => e.level,
  m: (e) => indentLines(e.message),
};

/** The start of `performance`'s clock in epoch ms: `%r` counts from here, as log4j counts from start-up. */
const PROCESS_START = Math.round(performance.timeOrigin);

/** log4j's format modifiers: `%-5p` (min width, left-justified), `%.30c` (max width), `%-20.30m`. */
interface Modifiers {
  min: number;
  max: number;
  leftJustify: boolean;
  /** log4j 2's `%.-10m`: truncate the end instead of the start (log4j 1.x's way). */
  truncateEnd: boolean;
}

/** Reads the modifiers after the '%' at `percent`; `next` is where the conversion starts. */
function readModifiers(pattern: string, percent: number): { modifiers: Modifiers | null; next: number } {
  const at = percent + 1;
  const digits = (from: number): number => {
    let end = from;
    while (pattern.charAt(end) >= '0' && pattern.charAt(end) <= '9') end++;
    return end;
  };
  let i = at;
  const leftJustify = pattern.charAt(i) === '-';
  if (leftJustify) i++;
  const minEnd = digits(i);
  const min = minEnd > i ? Number(pattern.slice(i, minEnd)) : 0;
  i = minEnd;
  let max = Infinity;
  let truncateEnd = false;
  if (pattern.charAt(i) === '.') {
    i++;
    truncateEnd = pattern.charAt(i) === '-';
    if (truncateEnd) i++;
    const maxEnd = digits(i);
    if (maxEnd === i) throw new LayoutError("a number must follow '.' (the maximum width)", pattern, percent);
    max = Number(pattern.slice(i, maxEnd));
    i = maxEnd;
  }
  if (i === at) return { modifiers: null, next: i };
  if (!Number.isSafeInteger(min) || max === 0 || (max !== Infinity && !Number.isSafeInteger(max))) {
    throw new LayoutError('a width must be a number from 1 to 2^53', pattern, percent);
  }
  return { modifiers: { min, max, leftJustify, truncateEnd }, next: i };
}

function withModifiers(write: Writer, { min, max, leftJustify, truncateEnd }: Modifiers): Writer {
  return (e) => {
    let s = write(e);
    if (s.length > max) {
      // Masked first: a cut could leave part of a secret that the record's own masking no longer recognises.
      s = redactSecrets(s);
      if (s.length > max) s = truncateEnd ? s.slice(0, max) : s.slice(s.length - max);
    }
    if (s.length < min) s = leftJustify ? s.padEnd(min) : s.padStart(min);
    return s;
  };
}

const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** `%d`, `%d{format}`; `error` places a bad format's error in the pattern. */
function dateWriter(
  format: string | undefined,
  zone: 'utc' | 'local',
  error: (err: DateFormatError) => LayoutError,
): Writer {
  try {
    const formatDate = compileDateFormat(format ?? DEFAULT_DATE_FORMAT, zone);
    return (e) => formatDate(e.time);
  } catch (err) {
    if (err instanceof DateFormatError) throw error(err);
    throw err;
  }
}

/** The conversion's name at `at`: a long name it starts with, or its first character. */
function readName(pattern: string, at: number): string {
  for (const name of LONG_NAMES_LONGEST_FIRST) if (pattern.startsWith(name, at)) return name;
  return pattern.charAt(at);
}

/** The writer of one conversion other than `%n`; `bad` and `dateError` build the errors, placed in the pattern. */
function conversionWriter(
  conversion: string,
  name: string,
  option: string | undefined,
  zone: 'utc' | 'local',
  bad: (message: string) => LayoutError,
  dateError: (err: DateFormatError) => LayoutError,
): Writer {
  if (conversion === 'd') {
    return dateWriter(option, zone, dateError);
  } else if (conversion === 'c' || conversion === 'q') {
    const abbreviate = conversion === 'c' ? categoryConversion(option) : atlassianCategoryConversion(option);
    if (typeof abbreviate === 'string') throw bad(`'%${name}{${option ?? ''}}' ${abbreviate}`);
    return (e) => abbreviate(e.logger);
  } else if (conversion === 'r') {
    return (e) => String(e.time - PROCESS_START);
  } else if (conversion === 'X') {
    if (option === undefined || option === '') throw bad(`'%${name}' needs a {key}`);
    const mdc = MDC_KEYS[option];
    if (mdc === undefined) {
      throw bad(`unknown context key '${option}' in '%${name}{${option}}' (the keys are ${MDC_KEY_LIST})`);
    }
    return mdc;
  } else {
    const simple = SIMPLE_WRITERS[conversion];
    if (simple === undefined) throw bad(`unknown conversion '%${name}'`);
    return simple;
  }
}

/**
 * Compiles a log4j-style pattern once into a list of field writers; the returned layout only runs them.
 *
 * Conversions (log4j 1.x; the log4j 2 long names `%date %thread %level %logger %message %msg %relative
 * %mdc` too): `%d` / `%d{format}` (see {@link compileDateFormat}; UTC unless `timeZone: 'local'`), `%t`
 * thread, `%p` level, `%c` / `%c{N}` / `%c{1.}` category (see {@link categoryConversion}), `%q{N}`
 * Atlassian's abbreviated category, `%m` message, `%r` ms since the process started, `%n` newline, `%%`
 * percent, `%X{key}` context (the keys of {@link MDC_KEYS}: `username` → 'anonymous' when missing, the
 * others → '-'). Every conversion but `%n` takes log4j's format modifiers (`%-5p`, `%.30c`, `%-20.30m`).
 * The record always ends with one newline (added when the pattern has no trailing `%n`); an event's error
 * follows the line, each of its lines indented. The whole record then passes through {@link redactSecrets}.
 *
 * @throws LayoutError for an unknown conversion or context key, one tokengate cannot print (caller
 *   location, NDC), a bad option or format modifier, an unclosed `{`, or a bad date format; the message
 *   says why and what to use instead.
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
    if (pattern.charAt(i + 1) === '%') {
      literal += '%';
      i += 2;
      continue;
    }
    const percent = i;
    const bad = (message: string): LayoutError => new LayoutError(message, pattern, percent);
    const { modifiers, next: at } = readModifiers(pattern, percent);
    if (at >= pattern.length) {
      throw bad(
        at === percent + 1 ? "dangling '%'" : `a conversion must follow '${pattern.slice(percent, at)}'`,
      );
    }
    const name = readName(pattern, at);
    const conversion = LONG_NAMES[name] ?? name;
    const refusal = REFUSED[conversion];
    if (refusal !== undefined) throw bad(`'%${name}' ${refusal}`);
    if (!CONVERSIONS.includes(conversion)) {
      let end = at + 1;
      while (isLetter(pattern.charAt(end))) end++;
      throw bad(`unknown conversion '%${pattern.slice(at, end)}' (tokengate knows ${KNOWN})`);
    }
    let option: string | undefined;
    let optionAt = 0;
    let next = at + name.length;
    if (pattern.charAt(next) === '{') {
      const close = pattern.indexOf('}', next + 1);
      if (close < 0) throw new LayoutError("unclosed '{'", pattern, next);
      option = pattern.slice(next + 1, close);
      optionAt = next + 1;
      next = close + 1;
    }
    if (option !== undefined && !'dcqX'.includes(conversion)) throw bad(`'%${name}' takes no {option}`);
    i = next;

    if (conversion === 'n') {
      if (modifiers !== null) throw bad(`'%${name}' takes no format modifier`);
      literal += '\n';
      continue;
    }
    const write = conversionWriter(
      conversion,
      name,
      option,
      zone,
      bad,
      (err) => new LayoutError(err.message, pattern, optionAt + err.offset),
    );
    flushLiteral();
    parts.push(modifiers === null ? write : withModifiers(write, modifiers));
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
