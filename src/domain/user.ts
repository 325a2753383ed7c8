import { parseToken } from './token/format.js';

/** A user of the local directory. The password hash never leaves the service layer. */
export interface User {
  username: string;
  displayName: string;
  email: string | null;
  groups: string[];
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

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
