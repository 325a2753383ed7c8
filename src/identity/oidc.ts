import { timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';

import { type ClaimRules, identityFromClaims, type OidcIdentity } from './oidc-claims.js';
import { OidcError, toOidcError } from './oidc-error.js';

export type { OidcIdentity } from './oidc-claims.js';
export { OidcError, type OidcErrorReason } from './oidc-error.js';

/** Settings of one OpenID Connect relying party (the admin UI's sign-in, or the gateway's). */
export interface OidcClientOptions {
  /** The issuer URL exactly as the provider states it in its discovery document. */
  issuer: string;
  clientId: string;
  /** Omitted for a public client: it then authenticates with PKCE alone. */
  clientSecret?: string | undefined;
  /** How a confidential client sends its secret. Default `client_secret_basic`. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Our callback URL, registered with the provider. */
  redirectUri: string;
  /** Default `openid profile email`. With `offline_access` the provider is asked for a refresh token. */
  scopes?: readonly string[];
  /** Leeway for the ID token's exp, iat and nbf. Default 60 seconds. */
  clockToleranceSec?: number;
  /**
   * How far our clock lags behind the provider's, in seconds (negative if ahead). Default 0. For hosts
   * whose clock is known to be off; the tests also use it to present an expired ID token.
   */
  clockSkewSec?: number;
  /** See ClaimRules. Default `groups`. */
  groupsClaim?: string;
  /** See ClaimRules. Default `preferred_username`. */
  usernameClaim?: string;
  /** See ClaimRules. Default none: a missing username claim refuses the sign-in. */
  usernameFallbackClaim?: string;
  /** Where the provider sends the browser after sign-out; registered with the provider. */
  postLogoutRedirectUri?: string;
  /**
   * Allow an http:// issuer. Only for a provider on the loopback interface (tests, a local provider):
   * over a network, plain HTTP would hand the tokens to anyone on the path.
   */
  allowInsecureHttp?: boolean;
  /** Per request to the provider. Default 10 seconds. */
  timeoutSec?: number;
  /** After a failed discovery, calls fail fast for this long before discovery is tried again. Default 10 s. */
  discoveryRetryMs?: number;
}

/**
 * What a browser's sign-in needs between start() and finish(). The caller keeps it for the browser,
 * sealed in a short-lived cookie (sealed-cookie.ts, purpose `oidc-pending`, PENDING_LOGIN_TTL_MS).
 */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go after sign-in; the caller checks it with safeReturnTo before start(). */
  returnTo: string;
}

/** Long enough to type a password and pass a second factor, short enough to bound a replay. */
export const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;

export interface OidcTokens {
  /** Present if the provider issued one (usually only with the `offline_access` scope). */
  refresh?: string;
  /** Kept as the `id_token_hint` of RP-initiated logout. */
  idToken: string;
  /** Epoch ms: the access token's expiry, else the ID token's. */
  expiresAt: number;
}

export interface OidcSignIn {
  claims: OidcIdentity;
  tokens: OidcTokens;
  returnTo: string;
}

export interface OidcRefresh {
  /** Present when the provider sent a new ID token with the refreshed tokens. */
  claims?: OidcIdentity;
  /** `refresh` is the rotated refresh token, or the one passed in if the provider did not rotate it. */
  tokens: Omit<OidcTokens, 'idToken'> & { idToken?: string };
}

const DEFAULT_SCOPES = ['openid', 'profile', 'email'] as const;

/** What `identity.oidc` says of the provider and tokengate's client there (config/identity.ts). */
export interface OidcProviderConfig {
  issuer: string;
  clientId: string;
  clientSecretFile: string | null;
  clientSecretEnv: string | null;
  scopes: string[];
  usernameClaim: string;
  groupsClaim: string;
  clockToleranceSeconds: number;
}

/**
 * A relying party of the configured provider for one callback (the admin UI's, the gateway's): the
 * client secret is read now, where the config says it is.
 */
export function oidcClientFor(
  o: OidcProviderConfig,
  uris: { redirectUri: string; postLogoutRedirectUri: string },
  readSecret: (source: { file: string | null; env: string | null }, name: string) => string,
): OidcClient {
  const hasSecret = o.clientSecretFile !== null || o.clientSecretEnv !== null;
  return new OidcClient({
    issuer: o.issuer,
    clientId: o.clientId,
    clientSecret: hasSecret
      ? readSecret({ file: o.clientSecretFile, env: o.clientSecretEnv }, 'identity.oidc.clientSecret')
      : undefined,
    ...uris,
    scopes: o.scopes,
    usernameClaim: o.usernameClaim,
    groupsClaim: o.groupsClaim,
    clockToleranceSec: o.clockToleranceSeconds,
    // The config accepts http:// only for a loopback issuer; the client checks it again.
    allowInsecureHttp: o.issuer.startsWith('http:'),
  });
}
const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * An OpenID Connect relying party over openid-client: authorization code flow with PKCE, state and
 * nonce; openid-client checks the issuer, audience, signature and timestamps of the ID token. Expected
 * refusals and provider faults are OidcError with a reason.
 */
export class OidcClient {
  readonly #options: OidcClientOptions;
  readonly #rules: ClaimRules;
  readonly #scope: string;
  #config: oidc.Configuration | null = null;
  #discovering: Promise<oidc.Configuration> | null = null;
  #failedAt = Number.NEGATIVE_INFINITY;

  constructor(options: OidcClientOptions) {
    const issuer = new URL(options.issuer);
    if (issuer.protocol === 'http:') {
      if (options.allowInsecureHttp !== true) throw new Error('the OpenID issuer must use https');
      if (!LOOPBACK_HOSTS.test(issuer.hostname)) {
        throw new Error('allowInsecureHttp is only for an OpenID provider on the loopback interface');
      }
    } else if (issuer.protocol !== 'https:') {
      throw new Error('the OpenID issuer must be an https URL');
    }
    const scopes = options.scopes ?? DEFAULT_SCOPES;
    if (!scopes.includes('openid')) throw new Error('the OpenID scopes must include openid');
    this.#options = options;
    this.#scope = scopes.join(' ');
    this.#rules = {
      usernameClaim: options.usernameClaim ?? 'preferred_username',
      usernameFallbackClaim: options.usernameFallbackClaim,
      groupsClaim: options.groupsClaim ?? 'groups',
    };
  }

  /** Begins a sign-in: the provider's authorization URL and what finish() will need. */
  async start(returnTo: string): Promise<{ url: string; state: string; pending: PendingLogin }> {
    const config = await this.#configuration();
    const pending: PendingLogin = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      returnTo,
    };
    const params: Record<string, string> = {
      response_type: 'code',
      redirect_uri: this.#options.redirectUri,
      scope: this.#scope,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    };
    // OpenID Connect Core 11: a provider ignores offline_access unless the user is asked to consent.
    if (this.#scope.split(' ').includes('offline_access')) params.prompt = 'consent';
    const url = oidc.buildAuthorizationUrl(config, params);
    return { url: url.href, state: pending.state, pending };
  }

  /**
   * Completes a sign-in from the URL the provider redirected the browser to (our redirectUri with
   * `code`, `state`, `iss`): checks state and issuer, redeems the code, validates the ID token, and
   * reads the identity from the ID token and userinfo claims.
   */
  async finish(callbackUrl: string | URL, pending: PendingLogin): Promise<OidcSignIn> {
    const config = await this.#configuration();
    const url = new URL(callbackUrl);
    // Checked here first so that the commonest refusals get their own reason, not the library's.
    if (!sameSecret(url.searchParams.get('state'), pending.state)) throw new OidcError('state-mismatch');
    const iss = url.searchParams.get('iss');
    if (iss !== null && iss !== config.serverMetadata().issuer) throw new OidcError('issuer');
    try {
      const tokens = await oidc.authorizationCodeGrant(
        config,
        url,
        {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        },
        // The URL a proxy hands us may differ from the registered one; the provider compares this value.
        { redirect_uri: this.#options.redirectUri },
      );
      const idToken = tokens.id_token;
      const idClaims = tokens.claims();
      if (idToken === undefined || idClaims === undefined) throw new OidcError('provider-error', 'id_token');
      const claims = await this.#identity(config, idClaims, tokens.access_token);
      return {
        claims,
        tokens: { ...refreshOf(tokens), idToken, expiresAt: expiresAt(tokens, idClaims) },
        returnTo: pending.returnTo,
      };
    } catch (err) {
      throw toOidcError(err);
    }
  }

  /** New tokens for a refresh token; the identity again if the provider sent a new ID token. */
  async refresh(refreshToken: string): Promise<OidcRefresh> {
    const config = await this.#configuration();
    try {
      const tokens = await oidc.refreshTokenGrant(config, refreshToken);
      const idClaims = tokens.claims();
      const refreshed: OidcRefresh['tokens'] = {
        refresh: tokens.refresh_token ?? refreshToken,
        expiresAt: expiresAt(tokens, idClaims),
      };
      if (tokens.id_token !== undefined) refreshed.idToken = tokens.id_token;
      if (idClaims === undefined) return { tokens: refreshed };
      return { claims: await this.#identity(config, idClaims, tokens.access_token), tokens: refreshed };
    } catch (err) {
      throw toOidcError(err);
    }
  }

  /**
   * The provider's RP-initiated logout URL (end_session_endpoint) with the ID token as a hint, or null
   * when the provider offers none: then only our own session can be cleared.
   */
  async logoutUrl(idTokenHint?: string): Promise<string | null> {
    const config = await this.#configuration();
    if (config.serverMetadata().end_session_endpoint === undefined) return null;
    const params: Record<string, string> = { client_id: this.#options.clientId };
    if (idTokenHint !== undefined) params.id_token_hint = idTokenHint;
    if (this.#options.postLogoutRedirectUri !== undefined) {
      params.post_logout_redirect_uri = this.#options.postLogoutRedirectUri;
    }
    return oidc.buildEndSessionUrl(config, params).href;
  }

  /** The provider's metadata, discovered once; after a failure, retried no sooner than discoveryRetryMs. */
  async #configuration(): Promise<oidc.Configuration> {
    if (this.#config !== null) return this.#config;
    if (this.#discovering !== null) return this.#discovering;
    if (Date.now() - this.#failedAt < (this.#options.discoveryRetryMs ?? 10_000)) {
      throw new OidcError('unavailable', 'discovery');
    }
    this.#discovering = this.#discover().then(
      (config) => {
        this.#config = config;
        return config;
      },
      (err: unknown) => {
        this.#failedAt = Date.now();
        throw toOidcError(err);
      },
    );
    try {
      return await this.#discovering;
    } finally {
      this.#discovering = null;
    }
  }

  async #discover(): Promise<oidc.Configuration> {
    const o = this.#options;
    const timeout = o.timeoutSec ?? 10;
    const metadata: Partial<oidc.ClientMetadata> = {
      redirect_uris: [o.redirectUri],
      [oidc.clockTolerance]: o.clockToleranceSec ?? 60,
      [oidc.clockSkew]: o.clockSkewSec ?? 0,
    };
    const auth =
      o.clientSecret === undefined
        ? oidc.None()
        : o.tokenEndpointAuthMethod === 'client_secret_post'
          ? oidc.ClientSecretPost(o.clientSecret)
          : oidc.ClientSecretBasic(o.clientSecret);
    // The constructor allows this only for a loopback issuer; openid-client marks it deprecated to flag it.
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback test providers only
    const execute = o.allowInsecureHttp === true ? [oidc.allowInsecureRequests] : [];
    const config = await oidc.discovery(new URL(o.issuer), o.clientId, metadata, auth, { execute, timeout });
    config.timeout = timeout;
    return config;
  }

  /** ID token claims, completed from userinfo when the provider has it (many put groups only there). */
  async #identity(
    config: oidc.Configuration,
    idClaims: oidc.IDToken,
    accessToken: string | undefined,
  ): Promise<OidcIdentity> {
    let claims: Record<string, unknown> = { ...idClaims };
    if (accessToken !== undefined && config.serverMetadata().userinfo_endpoint !== undefined) {
      // fetchUserInfo checks that userinfo's `sub` is the ID token's.
      const userinfo = await oidc.fetchUserInfo(config, accessToken, idClaims.sub);
      // The ID token stays authoritative for who and by whom; userinfo is fresher for the rest.
      claims = { ...claims, ...userinfo, sub: idClaims.sub, iss: idClaims.iss };
    }
    return identityFromClaims(claims, this.#rules);
  }
}

function sameSecret(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refreshOf(tokens: oidc.TokenEndpointResponse): { refresh?: string } {
  return tokens.refresh_token === undefined ? {} : { refresh: tokens.refresh_token };
}

function expiresAt(
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  idClaims: oidc.IDToken | undefined,
): number {
  const inSec = tokens.expiresIn();
  if (inSec !== undefined) return Date.now() + inSec * 1000;
  return idClaims === undefined ? Date.now() : idClaims.exp * 1000;
}
