import type { RequestContext } from '../domain/audit/audit.js';
import { AppError, invalidField } from '../domain/errors.js';
import { generatePassword, hashPassword, verifyPassword } from '../domain/auth/password.js';
import { isAdmin, type Principal } from '../domain/auth/permissions.js';
import { GROUP_NAME_PATTERN, type Settings } from '../domain/settings.js';
import {
  ADMIN_GROUP,
  ADMIN_USERNAME,
  checkDisplayName,
  checkEmail,
  checkPassword,
  checkServiceAccount,
  checkUsername,
  loginName,
  refuseOutsidePassword,
  type StoredUser,
} from '../domain/user.js';
import { isUniqueViolation } from '../store/db-errors.js';
import type { UserPatch } from '../store/user-repo.js';
import { makeAudit, type ServiceDeps } from './context.js';
import { gainedPowers, managementPowers, revokeOnWidening } from './token-widening.js';

export interface NewUser {
  username: string;
  displayName?: string;
  email?: string | null;
  groups?: string[];
  password?: string;
  /** A service account (source `service`): no password, never signs in; needs ownerGroup. */
  serviceAccount?: boolean;
  /** The group whose members manage a service account's tokens. */
  ownerGroup?: string;
}

export interface UserChange {
  displayName?: string;
  email?: string | null;
  groups?: string[];
  password?: string | null;
  disabled?: boolean;
}

function checkGroups(groups: string[]): string[] {
  for (const g of groups) {
    if (!GROUP_NAME_PATTERN.test(g)) throw invalidField('groups', `"${g}" is not a valid group name`);
  }
  return [...new Set(groups)];
}

/**
 * A principal authenticated by a token may not create a password: a password outlives the token
 * (its expiry, revocation and IP limits), so it would turn a token into lasting credentials. Tokens
 * cannot create tokens for the same reason.
 */
function refusePasswordByToken(p: Principal): void {
  if (p.via !== 'token') return;
  throw new AppError(
    'forbidden',
    'tokens cannot set passwords: a password outlives the token; sign in with a password (or the web UI) to set or remove one',
    [{ field: 'password', message: 'cannot be set, reset or removed by a token' }],
  );
}

/** The local user directory: users, groups, passwords and the disabled flag. Changes are admin-only and audited. */
export class UserService {
  constructor(
    private readonly deps: ServiceDeps,
    /** The permissions.* settings decide which group changes widen a user's management powers. */
    private readonly settings: { readonly current: Settings },
  ) {}

  /** Set at start-up with identity.ldap (main/modules/directory.ts): provisioning.ts directoryPasswordCheck. */
  private directoryCheck: ((name: string, password: string) => Promise<StoredUser | null>) | null = null;
  useDirectory(check: ((name: string, password: string) => Promise<StoredUser | null>) | null): void {
    this.directoryCheck = check;
  }

  private requireAdmin(p: Principal): void {
    if (!isAdmin(p)) throw new AppError('forbidden', 'managing users needs the admin group');
  }

  async list(p: Principal): Promise<StoredUser[]> {
    this.requireAdmin(p);
    return this.deps.store.users.list();
  }

  async get(p: Principal, username: string): Promise<StoredUser> {
    if (p.username !== username) this.requireAdmin(p);
    const u = await this.deps.store.users.find(username);
    if (!u) throw new AppError('not_found', `user ${username} does not exist`);
    return u;
  }

  async create(p: Principal, ctx: RequestContext, input: NewUser): Promise<StoredUser> {
    this.requireAdmin(p);
    checkUsername(input.username);
    checkEmail(input.email);
    const ownerGroup = checkServiceAccount(input);
    if (input.password !== undefined) {
      refusePasswordByToken(p);
      checkPassword(input.password);
    }
    const now = this.deps.now();
    const user: StoredUser = {
      username: input.username,
      displayName: checkDisplayName(input.displayName ?? input.username),
      email: input.email ?? null,
      groups: checkGroups(input.groups ?? []),
      passwordHash: input.password !== undefined ? await hashPassword(input.password) : null,
      disabled: false,
      createdAt: now,
      updatedAt: now,
      source: ownerGroup !== null ? 'service' : 'local',
      ownerGroup,
    };
    const audit = makeAudit(this.deps, ctx, now);
    await this.deps.store.transaction(async (tx) => {
      if (await tx.users.find(user.username)) {
        throw new AppError('conflict', `user ${user.username} already exists`);
      }
      // Two nodes adding the same name at once: the loser's insert hits the primary key.
      await tx.users.insert(user).catch((err: unknown) => {
        throw isUniqueViolation(err) ? new AppError('conflict', `user ${user.username} already exists`) : err;
      });
      await tx.audit.append([
        audit({
          category: 'users',
          action: 'user.created',
          summary: `User ${user.username} created`,
          affectedUser: user.username,
          details: { groups: user.groups, ...(ownerGroup !== null ? { source: 'service', ownerGroup } : {}) },
        }),
      ]);
      await tx.changes.record('user', [user.username], now);
    });
    this.deps.feed.publish('user', [user.username]);
    return user;
  }

  async update(p: Principal, ctx: RequestContext, username: string, change: UserChange): Promise<StoredUser> {
    this.requireAdmin(p);
    const patch: UserPatch = {};
    if (change.displayName !== undefined) patch.displayName = checkDisplayName(change.displayName);
    if (change.email !== undefined) {
      checkEmail(change.email);
      patch.email = change.email;
    }
    if (change.groups !== undefined) patch.groups = checkGroups(change.groups);
    if (change.password !== undefined) {
      refusePasswordByToken(p);
      if (change.password !== null) checkPassword(change.password);
      patch.passwordHash = change.password === null ? null : await hashPassword(change.password);
    }
    // An administrator's choice: a sign-in through the directory never undoes it (disabledReason null).
    if (change.disabled !== undefined)
      Object.assign(patch, { disabled: change.disabled, disabledReason: null });
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    const updated = await this.deps.store.transaction(async (tx) => {
      const before = await tx.users.find(username);
      if (!before) throw new AppError('not_found', `user ${username} does not exist`);
      if (typeof patch.passwordHash === 'string') refuseOutsidePassword(before, 'password');
      const after: StoredUser = { ...before, ...patch, updatedAt: now };
      if (isEnabledAdmin(before) && !isEnabledAdmin(after))
        await this.guardLastAdmin(tx.users.list(), username);
      await tx.users.update(username, patch, now);
      // Disabling a user or changing their password ends their web sessions for good: re-enabling
      // must not bring old cookies back, and a reset password must lock out whoever had the old one.
      if (patch.disabled === true || patch.passwordHash !== undefined)
        await tx.sessions.deleteForUser(username);
      const events = [];
      if (patch.disabled !== undefined && patch.disabled !== before.disabled) {
        events.push(
          audit({
            category: 'users',
            action: patch.disabled ? 'user.disabled' : 'user.enabled',
            summary: `User ${username} ${patch.disabled ? 'disabled' : 'enabled'}; ${patch.disabled ? 'their tokens stop working' : 'their tokens work again'}`,
            affectedUser: username,
          }),
        );
      }
      const fields = Object.keys(change).filter((k) => k !== 'disabled');
      if (fields.length > 0) {
        events.push(
          audit({
            category: 'users',
            action: 'user.updated',
            summary: `User ${username} updated: ${fields.join(', ')}`,
            affectedUser: username,
            details: {
              fields,
              ...(patch.groups !== undefined ? { oldGroups: before.groups, newGroups: patch.groups } : {}),
            },
          }),
        );
      }
      await tx.audit.append(events);
      await tx.changes.record('user', [username], now);
      // A group change that grants management powers revokes the tokens others made for the user.
      const s = this.settings.current;
      const gained = gainedPowers(managementPowers(before.groups, s), managementPowers(after.groups, s));
      const revoked =
        gained.length > 0
          ? await revokeOnWidening(tx, audit, username, gained, `groups changed by ${p.username}`, now)
          : [];
      return { after, revoked };
    });
    if (updated.revoked.length > 0) this.deps.feed.publish('token', updated.revoked);
    this.deps.feed.publish('user', [username]);
    return updated.after;
  }

  /** Deletes a user and their tokens. Each token gets its own audit record, matching its creation. */
  async delete(p: Principal, ctx: RequestContext, username: string): Promise<void> {
    this.requireAdmin(p);
    if (p.username === username) throw new AppError('conflict', 'you cannot delete yourself');
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    const tokenIds = await this.deps.store.transaction(async (tx) => {
      const user = await tx.users.find(username);
      if (!user) throw new AppError('not_found', `user ${username} does not exist`);
      if (isEnabledAdmin(user)) await this.guardLastAdmin(tx.users.list(), username);
      const tokens = await tx.tokens.search({ user: username }, now, 100_000);
      await tx.users.delete(username);
      await tx.audit.append([
        ...tokens.map((t) =>
          audit({
            category: 'tokens',
            action: 'token.deleted',
            summary: `Token "${t.description}" of ${username} deleted with its user`,
            affectedUser: username,
            tokenId: t.id,
            tokenDescription: t.description,
            details: { scope: t.scope, reason: 'user-deleted' },
          }),
        ),
        audit({
          category: 'users',
          action: 'user.deleted',
          summary: `User ${username} deleted with ${tokens.length} token(s)`,
          affectedUser: username,
          details: { tokensDeleted: tokens.length },
        }),
      ]);
      const ids = tokens.map((t) => t.id);
      await tx.changes.record('token', ids, now);
      await tx.changes.record('user', [username], now);
      return ids;
    });
    this.deps.feed.publish('token', tokenIds);
    this.deps.feed.publish('user', [username]);
  }

  /** Who to tell about one of their tokens (services only, no principal): null when the user is gone. */
  async findForNotice(
    username: string,
  ): Promise<{ username: string; displayName: string; email: string | null } | null> {
    const u = await this.deps.store.users.find(username);
    return u ? { username: u.username, displayName: u.displayName, email: u.email } : null;
  }

  /**
   * Checks a directory password. Returns the user only when it exists, is enabled and the password
   * matches. `username` is as the client sent it: `ADMIN` is `admin` unless auth.caseSensitiveUsernames.
   */
  async verifyPassword(username: string, password: string): Promise<StoredUser | null> {
    const name = loginName(username, this.settings.current['auth.caseSensitiveUsernames']);
    const user = await this.deps.store.users.find(name);
    // With a directory: local users (the first admin…) and service accounts here, everyone else there.
    const local = user !== null && (user.source === undefined || ['local', 'service'].includes(user.source));
    if (this.directoryCheck && !local) return this.directoryCheck(name, password);
    if (!user || user.passwordHash === null) {
      // Spend comparable time whether or not the user exists, so timing does not reveal user names.
      await hashPassword(password);
      return null;
    }
    const match = await verifyPassword(password, user.passwordHash);
    return match && !user.disabled ? user : null;
  }

  /**
   * Creates the `admin` user on a fresh database. Returns the generated password when none was
   * configured, so the caller can print it once; null when nothing was created or it was configured.
   */
  async bootstrapAdmin(
    configuredPassword: string | undefined,
  ): Promise<{ created: boolean; generatedPassword: string | null }> {
    if ((await this.deps.store.users.count()) > 0) return { created: false, generatedPassword: null };
    const password = configuredPassword ?? generatePassword();
    checkPassword(password);
    const now = this.deps.now();
    const audit = makeAudit(
      this.deps,
      { author: '@system', sourceIp: null, proxyIp: null, requestId: null, method: null, endpoint: null },
      now,
    );
    const admin: StoredUser = {
      username: ADMIN_USERNAME,
      displayName: 'Administrator',
      email: null,
      groups: [ADMIN_GROUP],
      passwordHash: await hashPassword(password),
      disabled: false,
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.deps.store.transaction(async (tx) => {
      // Another process may have bootstrapped between the count and here.
      if ((await tx.users.count()) > 0) return false;
      try {
        await tx.users.insert(admin);
      } catch (err) {
        // Nodes starting together on a new database: another one created the admin first.
        if (isUniqueViolation(err)) return false;
        throw err;
      }
      await tx.audit.append([
        audit({
          category: 'users',
          action: 'user.created',
          summary: 'User admin created on first start',
          affectedUser: ADMIN_USERNAME,
          details: { groups: [ADMIN_GROUP] },
        }),
      ]);
      return true;
    });
    return { created, generatedPassword: created && configuredPassword === undefined ? password : null };
  }

  private async guardLastAdmin(all: Promise<StoredUser[]>, leaving: string): Promise<void> {
    const others = (await all).filter((u) => u.username !== leaving && isEnabledAdmin(u));
    if (others.length === 0) {
      throw new AppError(
        'conflict',
        `${leaving} is the last enabled member of the admin group; add another admin first`,
      );
    }
  }

  /**
   * A user sets their own password (`PUT /me/password`). `proveCurrent` checks the current password
   * once the request is otherwise acceptable (the route counts a wrong one as a failed sign-in). The
   * policy, the audit record and the end of every session of the user are those of an admin's reset;
   * a token may not, as for every password change.
   */
  async changeOwnPassword(
    p: Principal,
    ctx: RequestContext,
    newPassword: string,
    proveCurrent: () => Promise<void>,
  ): Promise<void> {
    refusePasswordByToken(p);
    try {
      checkPassword(newPassword);
    } catch (err) {
      // The same policy, reported on this request's field.
      const problem = err instanceof AppError && Array.isArray(err.details) ? err.details[0] : undefined;
      throw problem ? invalidField('newPassword', problem.message) : err;
    }
    await proveCurrent();
    const passwordHash = await hashPassword(newPassword);
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    await this.deps.store.transaction(async (tx) => {
      const me = await tx.users.find(p.username);
      if (!me) throw new AppError('not_found', `user ${p.username} does not exist`);
      refuseOutsidePassword(me, 'newPassword');
      await tx.users.update(p.username, { passwordHash }, now);
      // As after a reset: whoever else holds a session (or the old password) is signed out.
      await tx.sessions.deleteForUser(p.username);
      await tx.audit.append([
        audit({
          category: 'users',
          action: 'user.updated',
          summary: `User ${p.username} changed their own password`,
          affectedUser: p.username,
          details: { fields: ['password'] },
        }),
      ]);
      await tx.changes.record('user', [p.username], now);
    });
    this.deps.feed.publish('user', [p.username]);
  }
}

function isEnabledAdmin(u: StoredUser): boolean {
  return !u.disabled && u.groups.includes(ADMIN_GROUP);
}
