import type { AuthConfig, IdentityConfig } from '../config/identity.js';
import { readSecret } from '../config/identity.js';
import type { Store } from '../store/store.js';
import { loadCookieSecret } from './cookie-secret.js';
import { oidcClientFor, type OidcClient, type PendingLogin } from './oidc.js';
import { safeReturnTo } from './redirect.js';
import { cookieName, createSealer, type Sealer } from './sealed-cookie.js';

/** The gateway's sign-in routes for browsers (auth.browser), on the gateway's own origin. */
export const SSO_PATH = '/_tokengate/sso';
/** The gateway session cookie's name, `__Host-` in front under TLS. Not the admin UI's `tg_session`. */
export const GATEWAY_COOKIE = 'tg_gateway';
/** The pending sign-in (state, nonce, PKCE verifier, return target) between login and callback. */
export const SSO_PENDING_COOKIE = 'tg_sso_pending';

/** Browser sign-in at the gateway: built once at start-up from `auth.browser` and `identity.oidc`. */
export interface BrowserSso {
  client: OidcClient;
  pending: Sealer<PendingLogin>;
  /** The gateway's public base URL, without a trailing slash. */
  externalUrl: string;
  /** Hosts a sign-in may return to: externalUrl's and auth.browser.allowedRedirectHosts, lower case. */
  allowedHosts: readonly string[];
  /** True when browsers reach the gateway over https: Secure cookies with the `__Host-` prefix. */
  secure: boolean;
  /** The session cookie's name as browsers see it. */
  cookieName: string;
  pendingCookieName: string;
  ttlMs: number;
  /** Groups one of which a user needs to sign in; empty: anyone the provider vouches for. */
  allowedGroups: ReadonlySet<string>;
}

/**
 * Where a browser is sent to sign in, coming back to `target` afterwards: the gateway's login route
 * on its external URL, with the target checked now and again when the route reads it.
 */
export function signInUrl(sso: BrowserSso, target: string): string {
  const policy = { allowedHosts: sso.allowedHosts, defaultPath: '/' };
  let rd = safeReturnTo(target, policy);
  // An absolute target on a host that is not allowed (a proxy that names the host with another port,
  // say) still comes back to the same page on this site, rather than to its front page.
  if (rd !== target && /^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      rd = safeReturnTo(`${url.pathname}${url.search}`, policy);
    } catch {
      // not a URL: `/` stands
    }
  }
  return `${sso.externalUrl}${SSO_PATH}/login?rd=${encodeURIComponent(rd)}`;
}

/**
 * True for a browser's page navigation: a GET or HEAD that accepts HTML, which a browser sends for a
 * link, a typed address or a form GET. Such a request without credentials is sent to sign in; anything
 * else (scripts, fetch and XHR from a page, which say `Sec-Fetch-Mode: cors` or ask for JSON) keeps
 * getting 401, which a script can act on.
 */
export function isNavigation(
  method: string,
  accept: string | undefined,
  secFetchMode: string | undefined,
  requestedWith: string | undefined,
): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (secFetchMode !== undefined && secFetchMode !== 'navigate') return false;
  if (requestedWith !== undefined) return false;
  return accept !== undefined && accept.toLowerCase().includes('text/html');
}

/** Builds browser sign-in at the gateway, or null when `auth.browser` is not set. */
export async function buildBrowserSso(
  auth: AuthConfig,
  identity: IdentityConfig,
  store: Store,
  now: number,
): Promise<BrowserSso | null> {
  const b = auth.browser;
  const o = identity.oidc;
  if (b === null || o === null) return null;
  const base = b.externalUrl.replace(/\/+$/, '');
  const external = new URL(base);
  const client = oidcClientFor(
    o,
    { redirectUri: `${base}${SSO_PATH}/callback`, postLogoutRedirectUri: `${base}${SSO_PATH}/signed-out` },
    readSecret,
  );
  const secret = await loadCookieSecret(store, now);
  const secure = external.protocol === 'https:';
  return {
    client,
    // Its own purpose: a pending sign-in of the admin UI does not open here, nor the other way round.
    pending: createSealer<PendingLogin>({ secrets: [secret], purpose: 'gateway-sso-pending' }),
    externalUrl: base,
    allowedHosts: [external.host.toLowerCase(), ...b.allowedRedirectHosts.map((h) => h.toLowerCase())],
    secure,
    cookieName: cookieName(GATEWAY_COOKIE, secure),
    pendingCookieName: cookieName(SSO_PENDING_COOKIE, secure),
    ttlMs: b.sessionHours * 3_600_000,
    allowedGroups: new Set(b.allowedGroups),
  };
}
