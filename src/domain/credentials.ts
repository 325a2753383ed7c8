/** Credentials found in an `Authorization` header. Parsing is pure and never throws. */
export type Credentials =
  | { kind: 'none' }
  | { kind: 'bearer'; secret: string }
  | { kind: 'basic'; username: string; secret: string }
  | { kind: 'malformed'; reason: string };

/** Longest Authorization value we look at; longer ones are malformed rather than parsed. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

const NONE: Credentials = { kind: 'none' };

/** True when the header starts with `scheme` (lower-case ASCII), in any case, then a space. */
function schemeIs(header: string, scheme: string): boolean {
  const n = scheme.length;
  if (header.length <= n || header.charCodeAt(n) !== 32) return false;
  for (let i = 0; i < n; i++) {
    // ASCII letters only: setting bit 0x20 lower-cases them, and no other byte maps onto a letter.
    if ((header.charCodeAt(i) | 0x20) !== scheme.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * True when the string has a space, tab or other whitespace character (as `\s` matches), or a control
 * character such as NUL: no token, and no sane foreign Bearer value, holds one.
 */
// eslint-disable-next-line no-control-regex
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

/**
 * Parses `Bearer <secret>` or `Basic base64(user:secret)`. The scheme is case-insensitive (RFC 9110).
 * Anything else, including other schemes, counts as no credentials for us, so the upstream can use them.
 */
export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined || header.length === 0) return NONE;
  const bearer = schemeIs(header, 'bearer');
  const basic = !bearer && schemeIs(header, 'basic');
  // Only our schemes are limited: a Kerberos ticket in Negotiate can be larger, and is the upstream's.
  if ((bearer || basic) && header.length > MAX_AUTHORIZATION_LENGTH)
    return { kind: 'malformed', reason: 'Authorization header too long' };
  if (bearer) {
    const secret = header.slice(7).trim();
    if (secret.length === 0 || WHITESPACE_OR_CONTROL.test(secret))
      return { kind: 'malformed', reason: 'Bearer value is empty or has spaces or control characters' };
    return { kind: 'bearer', secret };
  }
  if (basic) {
    const b64 = header.slice(6).trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 === 1) {
      return { kind: 'malformed', reason: 'Basic value is not base64' };
    }
    const decoded = Buffer.from(b64, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return { kind: 'malformed', reason: 'Basic value has no colon' };
    const username = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    // eslint-disable-next-line no-control-regex
    if (username.length === 0 || /[\u0000-\u001f\u007f\ufffd]/.test(username)) {
      return { kind: 'malformed', reason: 'Basic user name is empty or not printable' };
    }
    return { kind: 'basic', username, secret };
  }
  return NONE;
}
