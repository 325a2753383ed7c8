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
