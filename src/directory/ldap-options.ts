import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

/**
 * How LdapDirectory reaches and reads the directory. A plain object: the configuration module fills
 * it (the bind password from a file or the environment), tests build it directly.
 */
export interface LdapDirectoryOptions {
  /** `ldap://host:389` or `ldaps://host:636`. */
  url: string;
  /** Upgrade an `ldap://` connection with StartTLS before anything is sent. */
  startTls?: boolean;
  tls?: {
    /** PEM file with the CA(s) that sign the server's certificate; the system CAs when absent. */
    caFile?: string;
    /** Default true. False accepts any certificate: only for a test directory. */
    rejectUnauthorized?: boolean;
  };
  /** tokengate's own (service) account, used to find users and their groups. */
  bindDn: string;
  bindPassword: string;
  /** Where users live; searched with the whole subtree. */
  userBaseDn: string;
  /** Default `(&(objectClass=person)(uid={username}))`; `{username}` is RFC 4515-escaped. */
  userFilter?: string;
  attributes?: Partial<LdapAttributeNames>;
  /**
   * Groups from a search instead of the user's `memberOf`: the groups under groupBaseDn matching
   * groupFilter (default `(&(objectClass=groupOfNames)(member={dn}))`, `{dn}` the user's DN).
   */
  groupBaseDn?: string;
  groupFilter?: string;
  /** The attribute that names a found group. Default `cn`. */
  groupNameAttribute?: string;
  /** A filter that matches disabled users, e.g. `(employeeType=disabled)` or `(pwdAccountLockedTime=*)`. */
  disabledFilter?: string;
  /** Active Directory: a user is disabled when userAccountControl has ACCOUNTDISABLE (bit 2). */
  activeDirectory?: boolean;
  /** Bound on connecting and on each LDAP operation. Default 5000. */
  timeoutMs?: number;
  /** Connections open at once; further checks wait for one. Default 4. */
  maxConnections?: number;
}

export interface LdapAttributeNames {
  username: string;
  displayName: string;
  email: string;
  memberOf: string;
}

export const DEFAULT_USER_FILTER = '(&(objectClass=person)(uid={username}))';
export const DEFAULT_GROUP_FILTER = '(&(objectClass=groupOfNames)(member={dn}))';
const DEFAULT_ATTRIBUTES: LdapAttributeNames = {
  username: 'uid',
  displayName: 'cn',
  email: 'mail',
  memberOf: 'memberOf',
};
const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_CONNECTIONS = 4;

/** The options with every default filled in and the CA file read, once, at construction. */
export interface CompiledLdapOptions {
  url: string;
  /** The server as logs and errors name it: scheme, host and port, nothing else from the URL. */
  server: string;
  /** TLS from the first byte (`ldaps://`). */
  ldaps: boolean;
  startTls: boolean;
  tlsOptions: ConnectionOptions;
  bindDn: string;
  bindPassword: string;
  userBaseDn: string;
  userFilter: string;
  attributes: LdapAttributeNames;
  groupSearch: { baseDn: string; filter: string; nameAttribute: string } | null;
  disabledFilter: string | null;
  activeDirectory: boolean;
  timeoutMs: number;
  maxConnections: number;
}

export function compileLdapOptions(o: LdapDirectoryOptions): CompiledLdapOptions {
  const url = new URL(o.url);
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:')
    throw new Error(`the LDAP url must start with ldap:// or ldaps:// (got ${url.protocol}//${url.host})`);
  const tlsOptions: ConnectionOptions = { rejectUnauthorized: o.tls?.rejectUnauthorized ?? true };
  if (o.tls?.caFile !== undefined) tlsOptions.ca = readFileSync(o.tls.caFile);
  return {
    url: o.url,
    server: `${url.protocol}//${url.host}`,
    ldaps: url.protocol === 'ldaps:',
    startTls: o.startTls ?? false,
    tlsOptions,
    bindDn: o.bindDn,
    bindPassword: o.bindPassword,
    userBaseDn: o.userBaseDn,
    userFilter: o.userFilter ?? DEFAULT_USER_FILTER,
    attributes: { ...DEFAULT_ATTRIBUTES, ...o.attributes },
    groupSearch:
      o.groupBaseDn === undefined
        ? null
        : {
            baseDn: o.groupBaseDn,
            filter: o.groupFilter ?? DEFAULT_GROUP_FILTER,
            nameAttribute: o.groupNameAttribute ?? 'cn',
          },
    disabledFilter: o.disabledFilter ?? null,
    activeDirectory: o.activeDirectory ?? false,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxConnections: o.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  };
}
