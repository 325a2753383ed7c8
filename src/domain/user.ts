import { invalidField } from './errors.js';
import { GROUP_NAME_PATTERN } from './settings/values.js';
import { parseToken } from './token/format.js';

/**
 * Where a user comes from: tokengate's own table (`local`), a directory or SSO that vouched for them
 * (`ldap`, `oidc`, `sso-header`: created just in time at their first sign-in), or a service account
 * (`service`: no password, never signs in, owned by a group).
 */
export type UserSource = 'local' | 'ldap' | 'oidc' | 'sso-header' | 'service';
export const USER_SOURCES: readonly UserSource[] = ['local', 'ldap', 'oidc', 'sso-header', 'service'];

/** A user of tokengate's table. The password hash never leaves the service layer. */
export interface User {
  username: string;
  displayName: string;
  email: string | null;
  groups: string[];
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  /**
   * Where the user comes from. Always set on users read from the store; values built elsewhere
   * (older fixtures) may leave it out, and then it means `local`.
   */
  source?: UserSource;
  /** The last sign-in by password, OIDC or SSO header (epoch ms); null: never, or not recorded. */
  lastSignInAt?: number | null;
  /** For a service account: the group whose members may manage its tokens; null otherwise. */
  ownerGroup?: string | null;
  /**
   * Why tokengate itself disabled the user: gone or disabled in the directory (`directory-sync`), or
   * an OIDC user who stopped signing in (`inactive`). null (or absent) for an enabled user and for
   * one an administrator disabled: only the first kind comes back by signing in.
   */
  disabledReason?: DisabledReason | null;
}

export type DisabledReason = 'directory-sync' | 'inactive';

export interface StoredUser extends User {
  /** `scrypt$N$r$p$salt$hash`, or null for accounts that may only use tokens. */
  passwordHash: string | null;
}

export interface PublicUser {
  username: string;
  displayName: string;
  email: string | null;
  groups: string[];
  disabled: boolean;
  hasPassword: boolean;
  source: UserSource;
  lastSignInAt: string | null;
  ownerGroup: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toPublicUser(u: StoredUser): PublicUser {
  return {
    username: u.username,
    displayName: u.displayName,
    email: u.email,
    groups: u.groups,
    disabled: u.disabled,
    hasPassword: u.passwordHash !== null,
    source: u.source ?? 'local',
    lastSignInAt: u.lastSignInAt != null ? new Date(u.lastSignInAt).toISOString() : null,
    ownerGroup: u.ownerGroup ?? null,
    createdAt: new Date(u.createdAt).toISOString(),
    updatedAt: new Date(u.updatedAt).toISOString(),
  };
}

/** Lower-case letters, digits and `._@-`, starting with a letter or digit: safe in logs, URLs and Basic auth. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
export const ADMIN_USERNAME = 'admin';
export const ADMIN_GROUP = 'admin';
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * ASCII letters lower-cased, nothing else. Stored names are ASCII, so this is all the folding a match
 * needs; Unicode folding would add look-alikes (the Kelvin sign K lower-cases to k) for no gain.
 */
export function asciiLower(name: string): string {
  return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * The directory user a name a client sent (Basic, web sign-in) stands for, lower-cased: one the
 * directory could hold, or null. Lower-cased whatever auth.caseSensitiveUsernames says, so that
 * ADMIN, Admin and aDmIn share admin's budget of guesses (brute force) and are found under admin in
 * the audit log, instead of each being someone else. Anything else (a token pasted as the user name,
 * junk) names no user: it must not become a key (or, in Redis, be stored), nor an audit field.
 */
export function claimedUsername(name: string | null): string | null {
  if (name === null) return null;
  const lower = asciiLower(name);
  if (!USERNAME_PATTERN.test(lower) || parseToken(name) !== null) return null;
  return lower;
}

/**
 * A user name a client sent (Basic, web sign-in), as it is compared with stored names: lower-cased
 * unless `auth.caseSensitiveUsernames` is on, so that `ADMIN` is `admin` as in Jira and Confluence.
 */
export function loginName(name: string, caseSensitive: boolean): string {
  return caseSensitive ? name : asciiLower(name);
}

/**
 * True when a Basic user name is one of `auth.tokenUsernamePlaceholders` (`x-token-auth`, `oauth2`,
 * `:<token>`…), in any case: beside a token it stands for "whoever owns the token", never for a user.
 */
export function isUsernamePlaceholder(name: string, placeholders: readonly string[]): boolean {
  return placeholders.length > 0 && placeholders.includes(asciiLower(name));
}

/* The checks of what an administrator (or a directory) gives for a user: each throws invalidField. */

/** Loose on purpose: a mail server, not a pattern, decides what an address is. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;

export function checkUsername(username: string): void {
  if (!USERNAME_PATTERN.test(username)) {
    throw invalidField(
      'username',
      'must be 1 to 64 characters: lower-case letters, digits and . _ @ -, starting with a letter or digit',
    );
  }
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw invalidField('password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw invalidField('password', `must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

export function checkEmail(email: string | null | undefined): void {
  if (email != null && (email.length > 320 || !EMAIL_PATTERN.test(email)))
    throw invalidField('email', 'is not an e-mail address');
}

export function checkDisplayName(name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > 255) throw invalidField('displayName', 'must be 1 to 255 characters');
  return n;
}

/** A service account has an owning group and no password: it only ever holds tokens. */
export function checkServiceAccount(input: {
  serviceAccount?: boolean;
  ownerGroup?: string;
  password?: string;
}): string | null {
  if (!input.serviceAccount) {
    if (input.ownerGroup !== undefined) throw invalidField('ownerGroup', 'is only for service accounts');
    return null;
  }
  if (input.password !== undefined) throw invalidField('password', 'a service account has no password');
  if (input.ownerGroup === undefined || !GROUP_NAME_PATTERN.test(input.ownerGroup))
    throw invalidField('ownerGroup', 'a service account needs an owning group (a valid group name)');
  return input.ownerGroup;
}

/** A service account has no password; a directory or SSO user's password is not tokengate's to set. */
export function refuseOutsidePassword(u: StoredUser, field: string): void {
  const source = u.source ?? 'local';
  if (source === 'service') throw invalidField(field, 'a service account has no password');
  if (source !== 'local')
    throw invalidField(field, `${u.username}'s password is kept by ${source}, not here`);
}
