import type { IdentityConfig } from '../config/identity.js';
import { readSecret } from '../config/identity.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { loadCookieSecret } from './cookie-secret.js';
import { oidcClientFor, type OidcClient, type PendingLogin } from './oidc.js';
import type { UserProvisioning } from './provisioning.js';
import { createSealer, type Sealer } from './sealed-cookie.js';
import type { SsoHeaderRules } from './sso-headers.js';

/** The path of the UI's OpenID Connect routes on the admin listener; the callback is `<it>/callback`. */
export const OIDC_UI_PATH = '/_tokengate/oidc';
/** Where a browser goes after signing in when it asked for nowhere (or somewhere refused): the UI. */
export const UI_HOME = '/_tokengate/';
/** The pending sign-in cookie's name (with `__Host-` in front under TLS). */
export const PENDING_COOKIE = 'tg_oidc_pending';

/** Sign-in to the web UI with the OpenID provider. */
export interface OidcUi {
  client: OidcClient;
  /** Seals the pending sign-in (state, nonce, PKCE verifier, returnTo) for its short-lived cookie. */
  pending: Sealer<PendingLogin>;
  /** The sign-in page's button label. */
  displayName: string;
  /** The admin UI's external base URL (config identity.oidc.externalUrl), without a trailing slash. */
  externalUrl: string;
  /** Its host: a returnTo may name it absolutely. */
  externalHost: string;
}

/** How the management plane signs users in besides passwords (config `identity`). */
export interface UiIdentity {
  oidc: OidcUi | null;
  ssoHeaders: SsoHeaderRules | null;
  /** Creates and updates the users these sources vouch for; null: not wired, both are refused (503). */
  provisioning: UserProvisioning | null;
  /** Sign-ins and refusals are logged here (never a token or a claim value beyond the user name). */
  log: Logger;
}

/**
 * Builds the UI's identity sources from the config once at start-up: reads the client secret, makes
 * or loads the cookie-sealing secret in the database. Null when neither OIDC nor SSO headers are on.
 */
export async function buildUiIdentity(
  identity: IdentityConfig,
  store: Store,
  provisioning: UserProvisioning | null,
  log: Logger,
  now: number,
): Promise<UiIdentity | null> {
  const o = identity.oidc;
  if (o === null && identity.ssoHeaders === null) return null;
  let oidc: OidcUi | null = null;
  if (o !== null) {
    const base = o.externalUrl.replace(/\/+$/, '');
    const external = new URL(base);
    const client = oidcClientFor(
      o,
      { redirectUri: `${base}${OIDC_UI_PATH}/callback`, postLogoutRedirectUri: `${base}${UI_HOME}` },
      readSecret,
    );
    const secret = await loadCookieSecret(store, now);
    oidc = {
      client,
      pending: createSealer<PendingLogin>({ secrets: [secret], purpose: 'oidc-pending' }),
      displayName: o.displayName,
      externalUrl: base,
      externalHost: external.host.toLowerCase(),
    };
  }
  return { oidc, ssoHeaders: identity.ssoHeaders, provisioning, log };
}
