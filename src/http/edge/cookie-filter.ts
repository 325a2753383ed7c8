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

/** A Cookie header without any of the cookies `names` (see {@link withoutCookie}); null when nothing is left. */
export function withoutCookies(header: string, names: readonly string[]): string | null {
  let kept: string | null = header;
  for (let k = 0; k < names.length && kept !== null; k++) kept = withoutCookie(kept, names[k] ?? '');
  return kept;
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

/**
 * The gateway session cookie's value (auth.browser): null when absent, and null when the header
 * carries it more than once. Another page of the same site can plant a second one (a sibling
 * subdomain without `__Host-`, or a longer path): no guess which is ours, so neither counts and the
 * browser is asked to sign in again.
 */
export function gatewaySessionCookie(header: string | undefined, name: string): string | null {
  if (header === undefined || !header.includes(name)) return null;
  let found: string | null = null;
  for (const part of header.split(';')) {
    if (cookieName(part) !== name) continue;
    if (found !== null) return null;
    found = part.slice(part.indexOf('=') + 1).trim();
  }
  return found;
}
