import type { AuditEvent, RequestContext } from '../domain/audit/audit.js';
import { mapDirectoryGroups, type IdentityGroups } from '../domain/auth/permissions.js';
import { AppError } from '../domain/errors.js';
import { GROUP_NAME_PATTERN, type Settings } from '../domain/settings.js';
import { EMAIL_PATTERN, USERNAME_PATTERN, type DisabledReason, type StoredUser } from '../domain/user.js';
import {
  DirectoryUnavailableError,
  type Directory,
  type DirectoryUser,
  type PasswordCheck,
} from '../ports/directory.js';
import { isUniqueViolation } from '../store/db-errors.js';
import type { Store } from '../store/store.js';
import type { UserPatch } from '../store/user-repo.js';
import { makeAudit, systemContext, type ServiceDeps } from './context.js';
import { gainedPowers, managementPowers, revokeOnWidening } from './token-widening.js';

/** Who vouched for an identity: the LDAP directory (a password bind), an OpenID provider, an SSO proxy. */
export type IdentitySource = 'ldap' | 'oidc' | 'sso-header';

/** What a directory says, made fit for tokengate's table: a name that cannot be stored is dropped. */
function displayNameOf(u: DirectoryUser): string {
  const n = u.displayName.trim().slice(0, 255);
  return n.length > 0 ? n : u.username;
}

function emailOf(u: DirectoryUser): string | null {
  const e = u.email?.trim() ?? '';
  return e.length > 0 && e.length <= 320 && EMAIL_PATTERN.test(e) ? e : null;
}

function sameGroups(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

/**
 * tokengate's own row for every user a directory or SSO vouched for: created just in time at the
 * first sign-in, kept current at each sign-in and by the directory sync, and disabled (with its
 * tokens) when the directory says the person is gone. Every change is audited in its transaction
 * and reaches the credential caches of every node through the change feed, as UserService does.
 */
export class Provisioning {
  constructor(
    private readonly deps: ServiceDeps,
    /** The permission settings, with the config's directory groups (a group change may widen powers). */
    private readonly settings: { readonly current: Settings },
    private readonly groups: IdentityGroups,
  ) {}

  /** tokengate's groups for a directory user's groups (identity.groups.admin adds `admin`). */
  mapGroups(directoryGroups: readonly string[]): string[] {
    return mapDirectoryGroups(directoryGroups, this.groups, (g) => GROUP_NAME_PATTERN.test(g));
  }

  /**
   * The tokengate user for an identity a directory or SSO vouched for: created just in time (no
   * password; source recorded), or updated (display name, e-mail, groups mapped via
   * identity.groups); last sign-in time recorded; a user tokengate disabled (directory sync,
   * inactivity) is enabled again, since the directory or provider just vouched for them.
   * Refuses (AppError 'forbidden') when a local user or a service account of that name exists (an
   * SSO identity is never merged into a local account), when an administrator disabled the user,
   * and when the directory itself says the user is disabled.
   */
  async signIn(source: IdentitySource, user: DirectoryUser, ctx: RequestContext): Promise<StoredUser> {
    const name = user.username;
    if (!USERNAME_PATTERN.test(name))
      throw new AppError('forbidden', `"${name}" cannot be a tokengate user name; ask an administrator`);
    if (user.disabled) throw new AppError('forbidden', `${name} is disabled in the directory`);
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    const r = await this.deps.store.transaction(async (tx) => {
      const before = await tx.users.find(name);
      if (!before) return this.create(tx, audit, source, user, now);
      refuseMerge(before, source);
      return this.apply(tx, audit, before, user, { source, signIn: true, now });
    });
    if (r.revoked.length > 0) this.deps.feed.publish('token', r.revoked);
    if (r.changed) this.deps.feed.publish('user', [name]);
    return r.user;
  }

  /**
   * Brings a directory user's row in line with the directory (the sync job): names, e-mail and
   * groups; never enables, never records a sign-in. Returns the user and whether anything changed,
   * or null when it is gone here (or is no longer a directory user).
   */
  async refresh(
    user: DirectoryUser,
    ctx: RequestContext,
  ): Promise<{ user: StoredUser; changed: boolean } | null> {
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    const r = await this.deps.store.transaction(async (tx) => {
      const before = await tx.users.find(user.username);
      if (!before || before.source !== 'ldap') return null;
      return this.apply(tx, audit, before, user, { source: 'ldap', signIn: false, now });
    });
    if (!r) return null;
    if (r.revoked.length > 0) this.deps.feed.publish('token', r.revoked);
    if (r.changed) this.deps.feed.publish('user', [user.username]);
    return { user: r.user, changed: r.changed };
  }

  /**
   * Disables a user tokengate no longer has grounds to trust (gone or disabled in the directory, or
   * an OIDC user who stopped signing in): as an administrator's disabling does, their sessions end
   * and their tokens stop at once (the change feed), and a `user.disabled` record gives the reason.
   * Unlike an administrator's, a sign-in the directory or provider vouches for undoes it.
   * Returns false when there was nothing to do (gone, already disabled).
   */
  async suspend(
    username: string,
    reason: DisabledReason,
    why: string,
    ctx: RequestContext,
  ): Promise<boolean> {
    const now = this.deps.now();
    const audit = makeAudit(this.deps, ctx, now);
    const done = await this.deps.store.transaction(async (tx) => {
      const before = await tx.users.find(username);
      if (!before || before.disabled) return false;
      await tx.users.update(username, { disabled: true, disabledReason: reason }, now);
      await tx.sessions.deleteForUser(username);
      await tx.audit.append([
        audit({
          category: 'users',
          action: 'user.disabled',
          summary: `User ${username} disabled: ${why}; their tokens stop working`,
          affectedUser: username,
          details: { reason, source: before.source ?? 'local' },
        }),
      ]);
      await tx.changes.record('user', [username], now);
      return true;
    });
    if (done) this.deps.feed.publish('user', [username]);
    return done;
  }

  private async create(
    tx: Store,
    audit: (e: Parameters<ReturnType<typeof makeAudit>>[0]) => AuditEvent,
    source: IdentitySource,
    u: DirectoryUser,
    now: number,
  ): Promise<{ user: StoredUser; changed: boolean; revoked: string[] }> {
    const user: StoredUser = {
      username: u.username,
      displayName: displayNameOf(u),
      email: emailOf(u),
      groups: this.mapGroups(u.groups),
      passwordHash: null,
      disabled: false,
      createdAt: now,
      updatedAt: now,
      source,
      lastSignInAt: now,
      ownerGroup: null,
      disabledReason: null,
    };
    // Two sign-ins of a new user at once: the loser's insert hits the primary key; it signs in again.
    await tx.users.insert(user).catch((err: unknown) => {
      throw isUniqueViolation(err) ? new AppError('conflict', `${u.username} is being created; retry`) : err;
    });
    await tx.audit.append([
      audit({
        category: 'users',
        action: 'user.created',
        summary: `User ${user.username} created at their first sign-in (${source})`,
        affectedUser: user.username,
        details: { groups: user.groups, source },
      }),
    ]);
    await tx.changes.record('user', [user.username], now);
    return { user, changed: true, revoked: [] };
  }

  /** The shared update of signIn and refresh, inside their transaction. */
  private async apply(
    tx: Store,
    audit: (e: Parameters<ReturnType<typeof makeAudit>>[0]) => AuditEvent,
    before: StoredUser,
    u: DirectoryUser,
    o: { source: IdentitySource; signIn: boolean; now: number },
  ): Promise<{ user: StoredUser; changed: boolean; revoked: string[] }> {
    const name = before.username;
    const patch: UserPatch = {};
    const displayName = displayNameOf(u);
    const email = emailOf(u);
    const groups = this.mapGroups(u.groups);
    if (displayName !== before.displayName) patch.displayName = displayName;
    if (email !== before.email) patch.email = email;
    if (!sameGroups(groups, before.groups)) patch.groups = groups;
    const fields = Object.keys(patch);
    const enable = o.signIn && before.disabled && before.disabledReason != null;
    if (enable) Object.assign(patch, { disabled: false, disabledReason: null });
    if (o.signIn) patch.lastSignInAt = o.now;
    const after: StoredUser = { ...before, ...patch, updatedAt: o.now };
    const changed = fields.length > 0 || enable;
    if (!changed && !o.signIn) return { user: before, changed: false, revoked: [] };
    await tx.users.update(name, patch, o.now);
    const events: AuditEvent[] = [];
    if (enable)
      events.push(
        audit({
          category: 'users',
          action: 'user.enabled',
          summary: `User ${name} enabled again by signing in (${o.source}); their tokens work again`,
          affectedUser: name,
          details: { source: o.source, previousReason: before.disabledReason },
        }),
      );
    if (fields.length > 0)
      events.push(
        audit({
          category: 'users',
          action: 'user.updated',
          summary: `User ${name} updated from ${o.source}: ${fields.join(', ')}`,
          affectedUser: name,
          details: {
            fields,
            source: o.source,
            ...(patch.groups !== undefined ? { oldGroups: before.groups, newGroups: patch.groups } : {}),
          },
        }),
      );
    if (!changed) return { user: after, changed: false, revoked: [] };
    await tx.audit.append(events);
    await tx.changes.record('user', [name], o.now);
    // As for an administrator's group change: gaining management powers revokes the tokens others made.
    const s = this.settings.current;
    const gained = gainedPowers(managementPowers(before.groups, s), managementPowers(after.groups, s));
    const revoked =
      gained.length > 0
        ? await revokeOnWidening(tx, audit, name, gained, `groups changed by ${o.source}`, o.now)
        : [];
    return { user: after, changed: true, revoked };
  }
}

/** A directory or SSO identity never takes over a local account or a service account of the same name. */
function refuseMerge(before: StoredUser, source: IdentitySource): void {
  const kind = before.source ?? 'local';
  if (kind === 'local' || kind === 'service')
    throw new AppError(
      'forbidden',
      `a ${kind === 'local' ? 'local user' : 'service account'} named ${before.username} exists; ` +
        `tokengate does not merge a ${source} identity into it (an administrator may rename or delete it)`,
    );
  if (before.disabled && before.disabledReason == null)
    throw new AppError('forbidden', `${before.username} was disabled by an administrator`);
}

/**
 * A password check for a user the directory holds (identity.ldap): a bind as the user, then the
 * just-in-time user. null for every refusal (the caller counts it as a failed sign-in, as a wrong
 * local password); a directory that cannot be asked is a 503, never a wrong password.
 */
export async function directoryPasswordCheck(
  directory: Directory,
  provisioning: Provisioning,
  username: string,
  password: string,
): Promise<StoredUser | null> {
  let check: PasswordCheck;
  try {
    check = await directory.verifyPassword(username, password);
  } catch (err) {
    if (err instanceof DirectoryUnavailableError)
      throw new AppError('unavailable', 'the directory (LDAP) cannot be reached; try again later');
    throw err;
  }
  if (!check.ok) return null;
  try {
    return await provisioning.signIn('ldap', check.user, systemContext(check.user.username));
  } catch (err) {
    // Disabled by an administrator: refused as a disabled local user is, without saying why.
    if (err instanceof AppError && err.code === 'forbidden') return null;
    throw err;
  }
}
