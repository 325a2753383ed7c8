import { classify, type Presented } from './decide.js';
import { decodeQueryPart, queryParams } from '../query.js';

/**
 * Refuses request targets that the gateway and the upstream could read differently. Read rules,
 * logs and audit records judge the path as sent; an upstream that drops a fragment, resolves `..`,
 * strips `;` path parameters (Tomcat, Jetty, Spring), merges `//` (nginx), decodes twice or
 * NFKC-normalises would route somewhere else: a "read" that is really `git-receive-pack`, or a
 * rule ending in `**` walked out of with `..;`. Well-behaved clients never send these, so refusing
 * them costs nothing and closes the gap. docs/gateway.md has the table, test/attacks-paths.test.ts
 * checks each row.
 */

export type TargetCheck =
  | {
      ok: true;
      /** The path the decision judges: as sent, minus a final `;jsessionid=…` (see below). */
      path: string;
      /** The query string without `?`; '' when there is none. */
      query: string;
      /** The method an override header or `_method` names, upper-cased; null when there is none. */
      methodOverride: string | null;
    }
  | { ok: false; reason: string };

/** Request headers as Node gives them: lower-case names. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** Anything but printable ASCII must arrive percent-encoded (RFC 3986); Node hands such bytes over as Latin-1. */
const RAW_UNSAFE = /[^\x21-\x7e]/;

/**
 * Servlet containers put the session id of a cookie-less browser into the URL as the last path
 * parameter. It is the one `;` that legitimate clients send; the decision judges the path without
 * it, which is the path Tomcat, Jetty and Spring route.
 */
const SESSION_ID = /;jsessionid=[A-Za-z0-9._~-]{1,256}$/;

/** Bytes that some upstream reads as structure once decoded: . / \ ; % */
const STRUCTURAL: ReadonlyMap<number, string> = new Map([
  [0x2e, '.'],
  [0x2f, '/'],
  [0x5c, '\\'],
  [0x3b, ';'],
  [0x25, '%'],
]);

/** Punctuation that NFKC can produce from a non-ASCII character (fullwidth ．／＼；％, the one-dot leader …). */
const NFKC_STRUCTURAL = /[./\\;%#?]/;

/**
 * A segment of dots, or of dots and spaces (Windows hosts drop trailing dots and spaces). A scan, not a
 * regex: `[. ]*\.[. ]*` backtracks quadratically on a long run of dots.
 */
function hasDotSegment(path: string): boolean {
  let dots = false;
  let other = false;
  for (let i = 0; i <= path.length; i++) {
    const c = path.charCodeAt(i);
    if (i === path.length || c === 47 /* / */) {
      if (dots && !other) return true;
      dots = false;
      other = false;
    } else if (c === 46 /* . */) dots = true;
    else if (c !== 32) other = true;
  }
  return false;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

const HEX = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
};

/** Decodes the path's percent-encodings; a reason when one is invalid or decodes to structure. */
function decodePath(path: string): { decoded: string } | { problem: string } {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c !== 37 /* % */) {
      bytes.push(c);
      continue;
    }
    const hi = HEX(path.charCodeAt(i + 1));
    const lo = HEX(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0)
      return { problem: 'contains an invalid percent-encoding (such as "%zz", "%u002e" or a lone "%")' };
    const b = hi * 16 + lo;
    const char = STRUCTURAL.get(b);
    if (char !== undefined)
      return { problem: `contains an encoded "${char}" (%${path.slice(i + 1, i + 3)})` };
    if (b < 0x20 || b === 0x7f) return { problem: 'contains an encoded control character' };
    bytes.push(b);
    i += 2;
  }
  try {
    return { decoded: UTF8.decode(Uint8Array.from(bytes)) };
  } catch {
    return { problem: 'is not valid UTF-8 once decoded (overlong forms such as "%c0%ae" included)' };
  }
}

/** Non-ASCII characters that some upstream reads as a control or as punctuation. */
function unicodeProblem(decoded: string): string | null {
  for (const ch of decoded) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80) continue;
    if (c <= 0x9f || c === 0x2028 || c === 0x2029)
      return 'contains an encoded control character or line separator';
    if (NFKC_STRUCTURAL.test(ch.normalize('NFKC'))) {
      return 'contains a character that Unicode normalisation turns into "." "/" "\\" ";" or "%" (fullwidth forms, say)';
    }
  }
  return null;
}

function pathProblem(path: string): string | null {
  if (path.includes('\\')) return 'contains a backslash';
  if (path.includes(';')) {
    return 'contains ";", a path parameter that Tomcat, Jetty and Spring strip ("..;" is ".." to them); only a final ";jsessionid=…" is accepted';
  }
  if (path.includes('//'))
    return 'contains an empty segment ("//"), which nginx and Tomcat merge and others keep';
  let decoded = path;
  if (path.includes('%')) {
    const d = decodePath(path);
    if ('problem' in d) return d.problem;
    decoded = d.decoded;
    const u = unicodeProblem(decoded);
    if (u !== null) return u;
  }
  if (hasDotSegment(decoded)) return 'contains a dot-segment ("." or "..", or dots followed by spaces)';
  return null;
}

/** The override headers, lower-case, with `_` read as `-`: CGI, WSGI and Rack fold both into `HTTP_X_…`. */
const OVERRIDE_HEADERS: ReadonlySet<string> = new Set([
  'x-http-method-override',
  'x-method-override',
  'x-http-method',
]);
const OVERRIDE_NAME_LENGTHS: ReadonlySet<number> = new Set([...OVERRIDE_HEADERS].map((n) => n.length));
const METHOD_TOKEN = /^[A-Za-z][A-Za-z-]{0,19}$/;

/** True for a header name that some host reads as one of the override headers (`X_HTTP_Method_Override`…). */
function isOverrideHeader(name: string): boolean {
  // Cheap rejection first: every request passes its headers through here.
  if (!OVERRIDE_NAME_LENGTHS.has(name.length) || (name.charCodeAt(0) | 0x20) !== 0x78 /* x */) return false;
  return OVERRIDE_HEADERS.has(name.toLowerCase().replaceAll('_', '-'));
}

/** Node's `rawHeaders` (name, value, name, value…), or its parsed header object when that is all there is. */
export type HeaderSource = HeaderBag | readonly string[];

function overrideHeaderValues(headers: HeaderSource, values: string[]): void {
  if (Array.isArray(headers)) {
    // Raw: every spelling and every duplicate, exactly as sent.
    const raw = headers as readonly string[];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (isOverrideHeader(raw[i] ?? '')) values.push(raw[i + 1] ?? '');
    }
    return;
  }
  // Parsed: Node lower-cases names and joins duplicates of these with ", " (refused below).
  for (const [name, v] of Object.entries(headers as HeaderBag)) {
    if (v === undefined || !isOverrideHeader(name)) continue;
    values.push(...(Array.isArray(v) ? v : [v]));
  }
}

/**
 * A query key as the most lenient decoder reads it: `+` is a space, valid `%hh` escapes are decoded,
 * invalid ones kept as they are (PHP's urldecode), the rest read as UTF-8 or Latin-1 alike.
 */
function lenientKey(raw: string): string {
  const plus = raw.replaceAll('+', ' ');
  if (!plus.includes('%')) return plus;
  let out = '';
  for (let i = 0; i < plus.length; i++) {
    const c = plus.charCodeAt(i);
    const hi = c === 37 ? HEX(plus.charCodeAt(i + 1)) : -1;
    const lo = c === 37 ? HEX(plus.charCodeAt(i + 2)) : -1;
    if (hi < 0 || lo < 0) out += plus.charAt(i);
    else {
      out += String.fromCharCode(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

/** PHP's key mangling: `.` and space become `_`, and so does a first `[` that no `]` closes. */
function mangle(key: string): string {
  const open = key.indexOf('[');
  const unclosed = open !== -1 && key.indexOf(']', open) === -1;
  const head = (unclosed ? key.slice(0, open) : key).replace(/[. ]/g, '_');
  return unclosed ? `${head}_${key.slice(open + 1)}` : head;
}

/**
 * True when some framework reads this raw query key as `name` (which has a `_` in it): percent-decoded
 * (`%5fmethod`, which `qs` decodes), cut at a NUL (PHP keys are C strings), PHP-mangled with and
 * without its leading spaces dropped (`.method`, `[method`, ` method`), and as an array (`_method[]`,
 * which PHP and `qs` build).
 */
function keyReadsAs(raw: string, name: string): boolean {
  let key = lenientKey(raw);
  const nul = key.indexOf('\0');
  if (nul !== -1) key = key.slice(0, nul);
  for (const k of [mangle(key), mangle(key.replace(/^ +/, ''))]) {
    if (k === name || k.startsWith(`${name}[`)) return true;
  }
  return false;
}

/** The RFC 6750 §2.3 query carrier, and GitLab's own. */
const CREDENTIAL_KEYS = ['access_token', 'private_token'];
/** A superset check that keeps the common query cheap, as MAYBE_METHOD_KEY does. */
const MAYBE_CREDENTIAL_KEY = /token|%/i;

/**
 * The non-empty values of the query parameters that carry a Bearer credential (`access_token`, RFC
 * 6750 §2.3; `private_token`, GitLab), in every key spelling an upstream may read as one. A value
 * that cannot be decoded is returned raw: it is a credential all the same.
 */
export function urlCredentials(query: string): string[] {
  if (query === '' || !MAYBE_CREDENTIAL_KEY.test(query)) return [];
  const found: string[] = [];
  for (const [key, value] of queryParams(query)) {
    if (value === null || value === '' || !CREDENTIAL_KEYS.some((name) => keyReadsAs(key, name))) continue;
    found.push(decodeQueryPart(value) ?? value);
  }
  return found;
}

/**
 * Could the raw query hold a `_method` key in any spelling? A superset check that keeps the common
 * query cheap: such a key spells "method" (any case) or hides a letter behind a `%` escape.
 */
const MAYBE_METHOD_KEY = /method|%/i;

/**
 * The method a request asks the upstream to use instead of its own: the X-HTTP-Method-Override,
 * X-Method-Override or X-HTTP-Method header (Express method-override, ASP.NET, Google APIs, OData),
 * in any case and with `_` for `-` (a CGI, WSGI or Rack host reads `X_HTTP_Method_Override` as the
 * same header), or a `_method` query parameter (Laravel/Symfony, Express method-override configured
 * so) in any spelling PHP, `qs` or a lenient decoder reads as `_method`. Several values must agree;
 * anything but one method name is refused, as the upstream could read it otherwise. (A `_method` in
 * a form body is not read: see docs/gateway.md.)
 */
export function methodOverride(
  headers: HeaderSource,
  query: string,
): { ok: true; method: string | null } | { ok: false; reason: string } {
  const values: string[] = [];
  overrideHeaderValues(headers, values);
  if (query !== '' && MAYBE_METHOD_KEY.test(query)) {
    for (const [key, value] of queryParams(query)) {
      if (!keyReadsAs(key, '_method')) continue;
      values.push(value === null ? '' : (decodeQueryPart(value) ?? ''));
    }
  }
  if (values.length === 0) return { ok: true, method: null };
  const methods = new Set<string>();
  for (const v of values) {
    const m = v.trim();
    if (!METHOD_TOKEN.test(m)) {
      return {
        ok: false,
        reason:
          'X-HTTP-Method-Override, X-Method-Override, X-HTTP-Method (in any spelling, "_" for "-" included) and the _method query parameter must each name one HTTP method',
      };
    }
    methods.add(m.toUpperCase());
  }
  if (methods.size > 1) {
    return {
      ok: false,
      reason: `the method-override headers and _method disagree (${[...methods].join(', ')})`,
    };
  }
  return { ok: true, method: [...methods][0] ?? null };
}

/**
 * Checks an origin-form target (`/path?query`) and returns the path to judge, the query and any
 * method override (when the request's headers are given: pass Node's `rawHeaders` where there are
 * any, so that every spelling and duplicate of an override header is seen).
 */
export function checkRequestTarget(target: string, headers: HeaderSource = {}): TargetCheck {
  if (target.length === 0 || target.charCodeAt(0) !== 47 /* '/' */) {
    return {
      ok: false,
      reason: 'the request target must be a path starting with "/" (no absolute URLs, no "*")',
    };
  }
  if (RAW_UNSAFE.test(target)) {
    return { ok: false, reason: 'the request target contains a raw space, control or non-ASCII character' };
  }
  if (target.includes('#')) return { ok: false, reason: 'the request target contains a fragment' };
  const q = target.indexOf('?');
  const sent = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q + 1);
  const path = sent.replace(SESSION_ID, '');
  const problem = pathProblem(path);
  if (problem !== null) {
    return {
      ok: false,
      reason: `the path ${problem}; tokengate refuses paths that Tomcat, Jetty, Spring, nginx or Node would read differently`,
    };
  }
  const override = methodOverride(headers, query);
  if (!override.ok) return override;
  return { ok: true, path, query, methodOverride: override.method };
}

/**
 * What the query's Bearer carriers hold, classified as Bearer values are: a token (or near-token)
 * of ours wins, then a foreign value; null when there is none (or `query` is absent).
 */
export function urlCredential(query: string | undefined, prefixes: ReadonlySet<string>): Presented | null {
  if (query === undefined) return null;
  let found: Presented | null = null;
  for (const secret of urlCredentials(query)) {
    const p = classify({ kind: 'bearer', secret }, prefixes);
    if (p.kind === 'token' || p.kind === 'malformed') return p;
    found = p;
  }
  return found;
}
