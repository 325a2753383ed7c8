/**
 * Credentials found in an `Authorization` header. Parsing is pure and never throws.
 *
 * tokengate and the upstream must agree on what a request carries (issue 14, finding 3). So any value
 * that a lenient parser (Spring Security, Tomcat, Express `basic-auth`, Go's `net/http`, Python's
 * `str.split()`) would read as Basic or Bearer is ours: the clean form is parsed, every other spelling
 * (`Basic<TAB>…`, `BasicX…`, `Basic\u00a0…`, a bare `Bearer`) is malformed and never reaches the
 * upstream. Any other scheme (Digest, NTLM, Negotiate, unknown) is `other`: a credential for the
 * upstream, which the gateway treats like a password (see `classify`).
 */
export type Credentials =
  | { kind: 'none' }
  | { kind: 'bearer'; secret: string }
  /**
   * `username` may be empty (`:<token>`, as Git hosts take a token): `classify` accepts that only with
   * a token as the secret. It is never anything but printable.
   */
  | { kind: 'basic'; username: string; secret: string }
  /** Another scheme: the upstream's credential, never ours. `scheme` is as written. */
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string };

/** Longest Authorization value we look at; longer ones are malformed rather than parsed. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

const NONE: Credentials = { kind: 'none' };

const SP = 0x20;
const HTAB = 0x09;

/** True when the header starts with `scheme` (lower-case ASCII), in any ASCII case, then a space. */
function schemeIs(header: string, scheme: string): boolean {
  const n = scheme.length;
  if (header.length <= n || header.charCodeAt(n) !== SP) return false;
  for (let i = 0; i < n; i++) {
    // ASCII letters only: setting bit 0x20 lower-cases them, and no other byte maps onto a letter.
    if ((header.charCodeAt(i) | 0x20) !== scheme.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Whitespace or a control character as any parser we compare with sees it: C0 and C1 controls,
 * DEL, and Unicode whitespace (Python's `str.isspace`, JavaScript's `\s`, Java's `trim()`).
 */
export function isLooseSpace(c: number): boolean {
  if (c <= SP || c === 0x7f) return true;
  if (c < 0x80) return false;
  return (
    c <= 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * A character as Java's case-insensitive compare sees it (Spring's `startsWithIgnoreCase`): ASCII
 * letters in either case, and the three non-ASCII letters that fold onto the letters of "basic" and
 * "bearer": ſ (U+017F) upper-cases to S, ı (U+0131) to I, and İ (U+0130) lower-cases to i.
 */
function folded(c: number): number {
  if (c < 0x80) return c | 0x20;
  if (c === 0x17f) return 0x73; // s
  if (c === 0x130 || c === 0x131) return 0x69; // i
  return c;
}

function foldedPrefix(header: string, at: number, word: string): boolean {
  if (header.length - at < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if (folded(header.charCodeAt(at + i)) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * "Basic" or "Bearer" when a lenient parser would take the value for that scheme: after leading
 * whitespace or control characters (Java's `trim()`, `str.split()`), the letters of the scheme in any
 * case, followed by anything at all (Spring takes `substring(6)` whatever the sixth character is).
 */
function lenientScheme(header: string): 'Basic' | 'Bearer' | null {
  let i = 0;
  while (i < header.length && isLooseSpace(header.charCodeAt(i))) i++;
  if (foldedPrefix(header, i, 'basic')) return 'Basic';
  if (foldedPrefix(header, i, 'bearer')) return 'Bearer';
  return null;
}

/** The end of the value without trailing spaces and tabs (HTTP's optional whitespace). */
function valueEnd(header: string): number {
  let end = header.length;
  while (end > 0) {
    const c = header.charCodeAt(end - 1);
    if (c !== SP && c !== HTAB) break;
    end--;
  }
  return end;
}

/** The first index at or after `from` that is not a space (RFC 9110: the scheme, then 1*SP). */
function skipSpaces(header: string, from: number): number {
  let i = from;
  while (i < header.length && header.charCodeAt(i) === SP) i++;
  return i;
}

function malformed(reason: string): Credentials {
  return { kind: 'malformed', reason };
}

function parseBearer(header: string): Credentials {
  const start = skipSpaces(header, 7);
  const end = valueEnd(header);
  if (start >= end) return malformed('Bearer value is empty');
  for (let i = start; i < end; i++) {
    if (isLooseSpace(header.charCodeAt(i))) return malformed('Bearer value has spaces or control characters');
  }
  return { kind: 'bearer', secret: header.slice(start, end) };
}

/** 1 for each character of the standard base64 alphabet, by char code. */
const BASE64_CHARS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  BASE64_CHARS[c.charCodeAt(0)] = 1;

/** True when `s.slice(start, end)` is base64: the alphabet, at most two `=` at the end, a sane length. */
function isBase64(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  let dataEnd = end;
  while (dataEnd > start && end - dataEnd < 2 && s.charCodeAt(dataEnd - 1) === 0x3d /* = */) dataEnd--;
  if (dataEnd === start || (end - start) % 4 === 1) return false;
  for (let i = start; i < dataEnd; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || BASE64_CHARS[c] !== 1) return false;
  }
  return true;
}

/** A user name must be printable: no controls (C0, C1, DEL), no line separators, no invalid UTF-8. */
function printableName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < SP || c === 0x7f || (c >= 0x80 && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfffd)
      return false;
  }
  return true;
}

function parseBasic(header: string): Credentials {
  const start = skipSpaces(header, 6);
  const end = valueEnd(header);
  if (!isBase64(header, start, end)) return malformed('Basic value is not base64');
  const decoded = Buffer.from(header.slice(start, end), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return malformed('Basic value has no colon');
  const username = decoded.slice(0, colon);
  if (!printableName(username)) return malformed('Basic user name is not printable');
  return { kind: 'basic', username, secret: decoded.slice(colon + 1) };
}

/** RFC 9110 `tchar`: what an auth-scheme name is made of. */
function isTchar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c))
  );
}

function parseOther(header: string): Credentials {
  let i = 0;
  while (i < header.length && i <= 64 && isTchar(header.charCodeAt(i))) i++;
  const next = i < header.length ? header.charCodeAt(i) : SP;
  if (i === 0 || i > 64 || next !== SP)
    return malformed('the Authorization value does not start with an authentication scheme name');
  return { kind: 'other', scheme: header.slice(0, i) };
}

/**
 * Parses `Bearer <secret>` or `Basic base64(user:secret)`: the scheme in any ASCII case (RFC 9110),
 * one or more spaces, the value, optional trailing spaces. A few character checks, no regular
 * expression: this runs on every request. Every other spelling of Basic or Bearer is malformed; other
 * schemes are `other`; their values are not read (a Kerberos ticket in Negotiate can be large).
 */
export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined || header.length === 0) return NONE;
  const bearer = schemeIs(header, 'bearer');
  const basic = !bearer && schemeIs(header, 'basic');
  const lenient = bearer || basic ? null : lenientScheme(header);
  if ((bearer || basic || lenient !== null) && header.length > MAX_AUTHORIZATION_LENGTH)
    return malformed('Authorization header too long');
  if (bearer) return parseBearer(header);
  if (basic) return parseBasic(header);
  if (lenient !== null) {
    return malformed(
      `${lenient} must be written "${lenient}", a space, then the ${lenient === 'Basic' ? 'base64 of user:password' : 'token'}`,
    );
  }
  return parseOther(header);
}
