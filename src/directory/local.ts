import type { StoredUser } from '../domain/user.js';
import type { Directory, DirectoryUser, PasswordCheck } from '../ports/directory.js';

/** What LocalDirectory needs from the local user table (UserService and the store provide it). */
export interface LocalDirectoryDeps {
  /**
   * The user when the name exists, is enabled and the password matches its scrypt hash; otherwise
   * null, after spending comparable time (UserService.verifyPassword).
   */
  verifyPassword(username: string, password: string): Promise<StoredUser | null>;
  /** The stored user under the name as the client sent it (folded as verifyPassword folds), or null. */
  find(username: string): Promise<StoredUser | null>;
}

/** tokengate's own user table as a Directory: today's behaviour, behind the port. */
export class LocalDirectory implements Directory {
  readonly kind = 'local';

  constructor(private readonly deps: LocalDirectoryDeps) {}

  async verifyPassword(username: string, password: string): Promise<PasswordCheck> {
    if (password === '') return { ok: false, reason: 'no-password' };
    const user = await this.deps.verifyPassword(username, password);
    if (user) return { ok: true, user: toDirectoryUser(user) };
    // Why it failed, read after the check: the check itself already spent the same time for all.
    const stored = await this.deps.find(username);
    if (!stored) return { ok: false, reason: 'unknown-user' };
    if (stored.passwordHash === null) return { ok: false, reason: 'no-password' };
    // A disabled user with the wrong password is still disabled: that is the reason that matters.
    if (stored.disabled) return { ok: false, reason: 'disabled' };
    return { ok: false, reason: 'wrong-password' };
  }

  async find(username: string): Promise<DirectoryUser | null> {
    const stored = await this.deps.find(username);
    return stored ? toDirectoryUser(stored) : null;
  }

  async close(): Promise<void> {
    // The store belongs to the application, which closes it.
  }
}

function toDirectoryUser(u: StoredUser): DirectoryUser {
  return {
    username: u.username,
    displayName: u.displayName,
    email: u.email,
    groups: [...u.groups],
    disabled: u.disabled,
  };
}
