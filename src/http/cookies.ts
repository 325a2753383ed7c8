import { AppError } from '../domain/errors.js';
/** The web UI's session cookie. `__Host-` would force Path=/; ours is scoped to /_tokengate. */
export const SESSION_COOKIE = 'tg_session';

/**
 * The name of one `name=value` pair of a Cookie header (or the first pair of a Set-Cookie value),
 * trimmed and compared as sent; null for a pair without `=`. Every reader and filter of our session
 * cookie matches names this one way, so none can disagree about which pair is ours.
 */
export function cookieName(pair: string): string | null {
  const eq = pair.indexOf('=');
  return eq === -1 ? null : pair.slice(0, eq).trim();
}

/** Every value of the cookie `name` in a Cookie header, in order. No decoding: our values are base64url. */
function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    if (cookieName(part) === name) out.push(part.slice(part.indexOf('=') + 1).trim());
  }
  return out;
}

/** Reads one cookie from a Cookie header; null when absent. */
export function readCookie(header: string | undefined, name: string): string | null {
  return cookieValues(header, name)[0] ?? null;
}

/**
 * The session cookie of a request: null when absent, and a 401 when there is more than one. Cookies
 * are not isolated by port: a page on the gateway's origin (same host) can set a second `tg_session`
 * with a longer path, which the browser sends first. Taking the first would sign the administrator
 * in as whoever planted it; refusing both fails closed (docs/security.md, "cookie tossing").
 */
export function readSessionCookie(header: string | undefined): string | null {
  const values = cookieValues(header, SESSION_COOKIE);
  if (values.length > 1) {
    throw new AppError(
      'unauthorized',
      `the request carries ${values.length} ${SESSION_COOKIE} cookies; one was set by another page of this host. Sign out, clear this site's cookies and sign in again`,
    );
  }
  return values[0] ?? null;
}

/** Set-Cookie for the session: HttpOnly, SameSite=Strict, scoped to /_tokengate, Secure over https. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/_tokengate',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** What a browser says about where a request comes from. Scripts such as curl send none of it. */
export interface RequestSource {
  /** `Sec-Fetch-Site`: every current browser sends it. */
  secFetchSite: string | undefined;
  /** `Origin`: browsers send it on every cross-origin request and on every POST, PUT, PATCH, DELETE. */
  origin: string | undefined;
  /** The hosts the browser may have addressed: Host, and X-Forwarded-Host from a trusted proxy. */
  hosts: ReadonlyArray<string | undefined>;
}

/** Sec-Fetch-Site values of a request the page at our own origin made, or the user typed in. */
const OWN_SITE: ReadonlySet<string> = new Set(['same-origin', 'none']);

function hostOf(origin: URL, host: string | undefined): string | null {
  try {
    // Parsed with the origin's scheme, so `example.com:443` and `example.com` compare equal over https.
    return host ? new URL(`${origin.protocol}//${host}`).host : null;
  } catch {
    return null;
  }
}

/**
 * Why a request came from another origin, or null when it came from our own pages or not from a
 * browser at all. `Sec-Fetch-Site` decides when present; without it (older browsers) an `Origin`
 * must name the host that was addressed. The same rule as Go's `http.CrossOriginProtection`: the
 * layer behind the CSRF token and SameSite=Strict, and the only one on sign-in, which has no session.
 */
export function crossOriginReason(s: RequestSource): string | null {
  if (s.secFetchSite !== undefined) {
    if (OWN_SITE.has(s.secFetchSite)) return null;
    return s.secFetchSite === 'same-site' || s.secFetchSite === 'cross-site'
      ? `Sec-Fetch-Site is ${s.secFetchSite}`
      : 'Sec-Fetch-Site is not same-origin';
  }
  if (s.origin === undefined) return null;
  if (s.origin === 'null') return 'Origin is null';
  let origin: URL;
  try {
    origin = new URL(s.origin);
  } catch {
    return 'Origin is not an origin';
  }
  const host = origin.host.toLowerCase();
  if (s.hosts.some((h) => hostOf(origin, h)?.toLowerCase() === host)) return null;
  return `Origin ${origin.origin} is not this server`;
}
