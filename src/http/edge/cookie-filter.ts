import { cookieName } from '../cookies.js';

/**
 * A Cookie header without the cookie `name`, the others kept byte for byte; null when nothing is
 * left. A cookie is matched exactly as `readCookie` reads it (name trimmed, case-sensitive), so no
 * value the management plane would accept as that cookie survives. Headers that do not mention the
 * name are returned as they are, without splitting.
 */
export function withoutCookie(header: string, name: string): string | null {
  if (!header.includes(name)) return header;
  const kept = header.split(';').filter((part) => cookieName(part) !== name);
  const rest = kept.join(';').trimStart();
  return rest.trim() === '' ? null : rest;
}

/**
 * Whether a Set-Cookie value sets the cookie `name`: the name is what precedes the first `=` of the
 * part before the first `;`, trimmed, compared exactly, as `readCookie` reads it back from the Cookie
 * header the browser builds. A pair without `=` sets a cookie with an empty name (RFC 6265bis).
 */
export function setsCookie(setCookie: string, name: string): boolean {
  if (!setCookie.includes(name)) return false;
  return cookieName(setCookie.split(';', 1)[0] ?? '') === name;
}
