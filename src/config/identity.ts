import { readFileSync } from 'node:fs';
import {
  bool,
  ConfigError,
  oneOf,
  field,
  type FieldReader,
  filePath,
  headerName,
  intField,
  optionalSub,
  type SectionOf,
  sub,
  text,
} from './readers.js';

/**
 * Where users, passwords and groups come from besides tokengate's own table (`identity:`): an LDAP
 * or Active Directory server, an OpenID Connect provider, headers of a trusted SSO proxy, and how
 * their groups map to tokengate's permissions. docs/identity.md explains each key with recipes.
 *
 * Secrets (the LDAP bind password, the OIDC client secret, the cookie keys) are never written in the
 * config file itself: each is read from a file (`…File`) or from the environment variable named by
 * `…Env`, once at start-up, so that the file can be shown and versioned.
 */

/** Where a secret is: a file (`…File`, relative to the config file) or an environment variable (`…Env`). */
export interface SecretSource {
  file: string | null;
  env: string | null;
}

/**
 * Reads a secret where the config says it is, at start-up: the config object holds its place, never
 * the secret, so that it can be logged and shown. A missing file or variable is a ConfigError.
 */
export function readSecret(source: SecretSource, name: string): string {
  if (source.file !== null) {
    let value: string;
    try {
      value = readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(
        `${name}File: cannot read ${source.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (!value) throw new ConfigError(`${name}File: ${source.file} is empty`);
    return value;
  }
  if (source.env !== null) {
    const value = process.env[source.env];
    if (!value) throw new ConfigError(`${name}Env: the environment variable ${source.env} is not set`);
    return value;
  }
  throw new ConfigError(`${name}File or ${name}Env is required (config file)`);
}

/** The two keys of a secret, at most one of them given. */
function secretPlace(section: { [k: string]: unknown }, key: string, name: string): void {
  if (section[`${key}File`] !== null && section[`${key}Env`] !== null)
    throw new ConfigError(`${name}.${key}File and ${name}.${key}Env: give one of them (config file)`);
}

/** A list of strings (group names, host names). */
const stringList: FieldReader<string[]> = (v, name) => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 256))
    throw new ConfigError(`${name} must be a list of non-empty strings (config file)`);
  return v as string[];
};

/** An LDAP URL: ldap:// or ldaps://. */
const ldapUrl: FieldReader<string> = (v, name, ctx) => {
  const value = text(v, name, ctx);
  if (!/^ldaps?:\/\/[^/\s]+\/?$/i.test(value))
    throw new ConfigError(`${name} must be an ldap:// or ldaps:// URL with a host (config file)`);
  return value;
};

/** An https:// URL (http:// only for a loopback host, for tests and local providers). */
const issuerUrl: FieldReader<string> = (v, name, ctx) => {
  const value = text(v, name, ctx);
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {
    // reported below
  }
  const loopback = u !== null && /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(u.hostname);
  if (!u || !(u.protocol === 'https:' || (u.protocol === 'http:' && loopback)))
    throw new ConfigError(`${name} must be an https:// URL (http:// only on a loopback host) (config file)`);
  return value;
};

/** Groups from a search instead of the user's memberOf attribute. */
export const LDAP_GROUP_SEARCH = {
  baseDn: field(text, ''),
  /** `{dn}` is the user's DN, `{username}` their name, both escaped (RFC 4515). */
  filter: field(text, '(&(objectClass=groupOfNames)(member={dn}))'),
  nameAttribute: field(text, 'cn'),
};

export const LDAP_ATTRIBUTES = {
  username: field(text, 'uid'),
  displayName: field(text, 'cn'),
  email: field(text, 'mail'),
  memberOf: field(text, 'memberOf'),
};

/** An LDAP or Active Directory server (`identity.ldap:`). */
export const LDAP = {
  url: field(ldapUrl, ''),
  /** Upgrade an ldap:// connection with StartTLS. Default false. */
  startTls: field(bool, false),
  /** PEM file of the CA that signed the server's certificate; default the system's. */
  caFile: field<string | null>(filePath, null),
  /** Default true; false only for a test server. */
  rejectUnauthorized: field(bool, true),
  /** The service account tokengate binds as to find users. */
  bindDn: field(text, ''),
  /** The service account's password: a file, or an environment variable's name; one is required. */
  bindPasswordFile: field<string | null>(filePath, null),
  bindPasswordEnv: field<string | null>(text, null),
  userBaseDn: field(text, ''),
  /** `{username}` is the name the user typed, escaped (RFC 4515). */
  userFilter: field(text, '(&(objectClass=person)(uid={username}))'),
  attributes: sub(LDAP_ATTRIBUTES),
  /** null: groups from the user's memberOf attribute. */
  groupSearch: optionalSub(LDAP_GROUP_SEARCH, (g) => {
    if (!g.baseDn) throw new ConfigError('identity.ldap.groupSearch.baseDn is required (config file)');
  }),
  /** Active Directory: a user whose userAccountControl has ACCOUNTDISABLE is disabled. Default false. */
  activeDirectory: field(bool, false),
  /** An LDAP filter that matches disabled users (e.g. `(employeeType=disabled)`); null: none. */
  disabledFilter: field<string | null>(text, null),
  timeoutMs: field(intField(100, 120_000), 5_000),
  /** How often every directory user is looked up again; gone or disabled ones are disabled here. Default 900. */
  syncIntervalSeconds: field(intField(10, 86_400), 900),
};

/** An OpenID Connect provider for the web UI's sign-in (`identity.oidc:`). */
export const OIDC = {
  issuer: field(issuerUrl, ''),
  clientId: field(text, ''),
  /** The client secret: a file, or an environment variable's name; neither: a public client (PKCE only). */
  clientSecretFile: field<string | null>(filePath, null),
  clientSecretEnv: field<string | null>(text, null),
  /** The admin UI's external base URL (the redirect URI is `<it>/_tokengate/oidc/callback`). */
  externalUrl: field(issuerUrl, ''),
  scopes: field(stringList, ['openid', 'profile', 'email']),
  usernameClaim: field(text, 'preferred_username'),
  groupsClaim: field(text, 'groups'),
  clockToleranceSeconds: field(intField(0, 600), 60),
  /**
   * Tokens of an OIDC user who has not signed in for this many days are suspended until they sign
   * in again (no directory can be asked whether they still belong). 0: never. Default 90.
   */
  inactiveDays: field(intField(0, 3650), 90),
  /** The button's label on the sign-in page. */
  displayName: field(text, 'Single sign-on'),
};

/** Trusted SSO proxy headers for the web UI (`identity.ssoHeaders:`), accepted only from auth.trustedProxies. */
export const SSO_HEADERS = {
  /** Authelia and Authentik: Remote-User; oauth2-proxy: X-Auth-Request-User. */
  user: field(headerName, 'remote-user'),
  groups: field(headerName, 'remote-groups'),
  email: field(headerName, 'remote-email'),
  name: field(headerName, 'remote-name'),
  /** Between group names in the groups header. Default ",". */
  groupSeparator: field(text, ','),
};

/**
 * Directory groups that give tokengate's permissions (`identity.groups:`). A directory user gets
 * tokengate's `admin` group for a group listed under `admin`; the other three add to the settings'
 * `permissions.*` lists for directory users, without an administrator having to repeat them there.
 */
export const GROUPS = {
  admin: field(stringList, []),
  manageAllTokens: field(stringList, []),
  createOwnTokens: field(stringList, []),
  useTokens: field(stringList, []),
};

export const IDENTITY = {
  /** null: no LDAP; passwords are checked against tokengate's own table. */
  ldap: optionalSub(LDAP, (l) => {
    for (const key of ['url', 'bindDn', 'userBaseDn'] as const)
      if (!l[key]) throw new ConfigError(`identity.ldap.${key} is required (config file)`);
    secretPlace(l, 'bindPassword', 'identity.ldap');
    if (l.bindPasswordFile === null && l.bindPasswordEnv === null)
      throw new ConfigError(
        'identity.ldap.bindPasswordFile or identity.ldap.bindPasswordEnv is required (config file)',
      );
    if (l.startTls && l.url.toLowerCase().startsWith('ldaps:'))
      throw new ConfigError(
        'identity.ldap.startTls is for ldap:// URLs; ldaps:// is TLS already (config file)',
      );
  }),
  oidc: optionalSub(OIDC, (o) => {
    for (const key of ['issuer', 'clientId', 'externalUrl'] as const)
      if (!o[key]) throw new ConfigError(`identity.oidc.${key} is required (config file)`);
    if (!o.scopes.includes('openid'))
      throw new ConfigError('identity.oidc.scopes must include openid (config file)');
    secretPlace(o, 'clientSecret', 'identity.oidc');
  }),
  /** null: SSO headers are ignored (and stripped), whoever sends them. */
  ssoHeaders: optionalSub(SSO_HEADERS, () => undefined),
  groups: sub(GROUPS),
};

export type IdentityConfig = SectionOf<typeof IDENTITY>;

/**
 * Browsers signed in through the gateway itself (`auth.browser:`): a browser's navigation without
 * credentials is sent to the identity provider, and a gateway session cookie then authenticates it;
 * scripts keep using tokens through the same gateway. The provider is `identity.oidc`'s, with a
 * second redirect URI registered: `<externalUrl>/_tokengate/sso/callback`.
 */
export const BROWSER = {
  /** Where browsers sign in: `oidc` (identity.oidc's provider and client). */
  provider: field(oneOf(['oidc']), 'oidc'),
  /**
   * The gateway's public base URL, as browsers reach it (e.g. https://app.example.com). The session
   * cookie is set for its host (`__Host-tg_gateway` over https); sign-in returns only to it and to
   * `allowedRedirectHosts`.
   */
  externalUrl: field(issuerUrl, ''),
  /** Other host names a sign-in may return to (exact names, e.g. behind one nginx). Default none. */
  allowedRedirectHosts: field(stringList, []),
  /** How long a gateway session lasts from sign-in, in hours. Default 8. */
  sessionHours: field(intField(1, 720), 8),
  /** Only members of one of these groups (the provider's, after identity.groups) may sign in; [] anyone. */
  allowedGroups: field(stringList, []),
};

export const AUTH = {
  /** null: no browser sign-in at the gateway; requests without credentials follow auth.requireAuthentication. */
  browser: optionalSub(BROWSER, (b) => {
    if (!b.externalUrl) throw new ConfigError('auth.browser.externalUrl is required (config file)');
    const path = new URL(b.externalUrl).pathname;
    if (path !== '/' && path !== '')
      throw new ConfigError(
        'auth.browser.externalUrl must be an origin without a path (the session cookie is for the whole host) (config file)',
      );
  }),
};

export type AuthConfig = SectionOf<typeof AUTH>;

/** Cross-section rules: browser sign-in needs the provider it names. */
export function checkBrowserSignIn(auth: AuthConfig, identity: IdentityConfig): void {
  if (auth.browser !== null && identity.oidc === null)
    throw new ConfigError(
      'auth.browser.provider oidc needs identity.oidc (the OpenID provider and client) (config file)',
    );
}

/**
 * The SSO headers' names, which the gateway strips from every client request when SSO headers are
 * configured: the proxied application behind an SSO proxy may trust the same names, and a client
 * that reaches tokengate's gateway directly must not be able to name itself there.
 */
export function ssoHeaderNames(identity: Pick<IdentityConfig, 'ssoHeaders'>): string[] {
  const h = identity.ssoHeaders;
  return h ? [h.user, h.groups, h.email, h.name] : [];
}
