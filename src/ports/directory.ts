/**
 * Where users, their passwords and their groups come from: tokengate's own user table ("local"), or
 * the organization's directory (LDAP / Active Directory). Every implementation runs the conformance
 * suite in test/conformance/directory.test.ts.
 *
 * tokengate keeps its own row for every user a directory has vouched for (created just in time at
 * the first sign-in, kept current by the sync job): tokens, sessions and audit records hang off that
 * row, and a user who leaves the directory is disabled there, which stops their tokens.
 */

/** A user as the directory sees them. Never carries a password or a password hash. */
export interface DirectoryUser {
  /** tokengate's user name: lower-case, matching USERNAME_PATTERN (domain/user.ts). */
  username: string;
  displayName: string;
  email: string | null;
  /** The directory's group names (for LDAP the `cn` of each group), before any mapping. */
  groups: string[];
  /** Disabled in the directory itself (Active Directory's userAccountControl, an account lock). */
  disabled: boolean;
}

/**
 * Why a password check did not give a user. The caller logs and audits it; the client hears one message.
 * `no-password`: there was no password to check: the client sent an empty one (refused before any
 * LDAP bind, where an empty password is an "unauthenticated bind" that succeeds), or the local
 * account has none (it may only use tokens).
 */
export type PasswordRefusal = 'unknown-user' | 'wrong-password' | 'disabled' | 'no-password';

export type PasswordCheck = { ok: true; user: DirectoryUser } | { ok: false; reason: PasswordRefusal };

/** The directory could not be asked (down, timed out, refused tokengate's bind): fail closed, answer 503. */
export class DirectoryUnavailableError extends Error {
  override name = 'DirectoryUnavailableError';
}

export interface Directory {
  /** `local` or `ldap`: names the source in logs, audit records and the user list. */
  readonly kind: string;
  /**
   * Checks a password: for LDAP by binding as the user. The user name is the one the client sent,
   * already lower-cased unless auth.caseSensitiveUsernames is on. Throws DirectoryUnavailableError
   * when the directory cannot be asked; never for a wrong password.
   */
  verifyPassword(username: string, password: string): Promise<PasswordCheck>;
  /** The user as the directory sees them now, or null when the directory no longer holds them. */
  find(username: string): Promise<DirectoryUser | null>;
  /** Closes connections; the directory is not used after. */
  close(): Promise<void>;
}
