/**
 * Where to send a browser after sign-in or sign-out. The target arrives from the outside (a `returnTo`
 * query parameter, a cookie), so an unchecked value would make tokengate an open redirect: a phishing
 * link on our own domain that lands on the attacker's. Only two shapes pass, everything else becomes the
 * default path.
 */

export interface ReturnToPolicy {
  /**
   * Hosts an absolute URL may point at. An entry with a port (`app.example.com:8443`) must match the
   * URL's host and port exactly; an entry without one matches the host name on any port. Lower case.
   */
  allowedHosts: readonly string[];
  /** Where to go when the value is missing or refused: a same-site path such as `/`. */
  defaultPath: string;
}

/** Long enough for any real page with its query; a longer value is not worth parsing. */
const MAX_LENGTH = 2048;
/** Unicode spaces and invisible marks beyond ASCII that some parsers strip or treat as separators. */
const UNICODE_SPACES = /[\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]/;
/** A base that can never be a real host, used only to see how a browser would resolve a relative path. */
const PROBE_ORIGIN = 'http://return-to.invalid';

/**
 * `value` if it is a same-site relative path (`/x?y#z`, never `//host` or `/\host`) or an absolute http(s)
 * URL whose host is allowed (without credentials in it); otherwise `policy.defaultPath`.
 */
export function safeReturnTo(value: unknown, policy: ReturnToPolicy): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) {
    return policy.defaultPath;
  }
  // Browsers treat a backslash as a slash in http(s) URLs, so `/\evil.com` means `//evil.com`.
  if (value.includes('\\') || hasUnsafeChars(value)) return policy.defaultPath;
  if (value.startsWith('/')) return isSameSitePath(value) ? value : policy.defaultPath;
  if (/^https?:\/\//i.test(value)) return allowedAbsolute(value, policy.allowedHosts) ?? policy.defaultPath;
  return policy.defaultPath;
}

/**
 * Control characters and whitespace: browsers strip tabs and newlines inside URLs and leading spaces,
 * turning `/\t/evil.com` into `//evil.com`.
 */
function hasUnsafeChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return UNICODE_SPACES.test(value);
}

function isSameSitePath(value: string): boolean {
  if (value.startsWith('//')) return false;
  let resolved: URL;
  try {
    resolved = new URL(value, PROBE_ORIGIN);
  } catch {
    return false;
  }
  // Belt and braces: whatever the string looked like, it must resolve on our own origin, and its path
  // must not become protocol-relative if someone later re-emits the normalised form (`/..//evil`).
  return resolved.origin === PROBE_ORIGIN && !resolved.pathname.startsWith('//');
}

function allowedAbsolute(value: string, allowedHosts: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  // `https://allowed.example@evil.example` reads as the allowed host to a person but goes to evil.
  if (url.username !== '' || url.password !== '') return null;
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  const ok = allowedHosts.some((entry) => {
    const e = entry.toLowerCase();
    return hasPort(e) ? e === host : e === hostname;
  });
  return ok ? url.href : null;
}

/** `host:port` or `[v6]:port`; a bare IPv6 literal `[::1]` has no port. */
function hasPort(entry: string): boolean {
  return /:\d+$/.test(entry) && !/^\[[^\]]*\]$/.test(entry);
}
