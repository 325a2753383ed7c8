// The web UI's side of signing in with the OpenID provider (server: src/http/api/routes/oidc.ts).

/** The OpenID provider's button on the sign-in page, as GET /session's 401 describes it. */
export interface OidcSignIn {
  displayName: string;
  loginUrl: string;
}

/**
 * Marks this tab's session as opened with the provider (sessionStorage survives the round trip to the
 * provider and reloads, and dies with the tab), so that sign-out also ends the provider's session.
 */
export const OIDC_SESSION_KEY = 'tokengate.oidc-session';

export function readOidcSignIn(details: unknown): OidcSignIn | null {
  const o = (details as { oidc?: Partial<OidcSignIn> } | null)?.oidc;
  return typeof o?.displayName === 'string' && typeof o.loginUrl === 'string'
    ? { displayName: o.displayName, loginUrl: o.loginUrl }
    : null;
}
