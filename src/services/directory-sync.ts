import type { Directory, DirectoryUser } from '../ports/directory.js';
import type { StoredUser } from '../domain/user.js';
import { systemContext, type ServiceDeps } from './context.js';
import type { Provisioning } from './provisioning.js';

const DAY_MS = 86_400_000;

/** The audit author of the sync's records. */
export const DIRECTORY_SYNC_AUTHOR = '@directory-sync';

export interface DirectorySyncOptions {
  /** identity.oidc.inactiveDays when OIDC is configured (0: never); null without OIDC. */
  oidcInactiveDays: number | null;
}

/** What one round did; the job logs it, tests read it. */
export interface SyncReport {
  /** Directory users looked up. */
  checked: number;
  /** Directory users disabled here: gone from the directory, or disabled there. */
  disabled: string[];
  /** Directory users whose name, e-mail or groups changed. */
  updated: string[];
  /** OIDC users suspended for not signing in. */
  suspended: string[];
  /** The directory could not be asked: nobody was disabled or changed from it this round. */
  directoryDown: boolean;
}

type Log = { warn(msg: string, ctx?: undefined, err?: unknown): void };

/**
 * Keeps tokengate's users in line with where they come from, every identity.ldap.syncIntervalSeconds:
 * - each LDAP user is looked up again: gone or disabled in the directory → disabled here (their
 *   tokens stop at once, audited with the reason `directory-sync`); otherwise names and groups follow;
 * - with OIDC, users who have not signed in for identity.oidc.inactiveDays are suspended (reason
 *   `inactive`): no provider can be asked whether they still belong, so their tokens must not
 *   outlive them for ever. Signing in again brings them back.
 * A directory that cannot be asked skips the LDAP part of the round (WARN): an outage never disables
 * anyone. All lookups are made before any change, so a directory failing halfway changes nothing.
 */
export class DirectorySync {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'store' | 'now'>,
    private readonly provisioning: Provisioning,
    private readonly directory: Directory | null,
    private readonly opts: DirectorySyncOptions,
    private readonly log: Log,
  ) {}

  async run(): Promise<SyncReport> {
    const report: SyncReport = { checked: 0, disabled: [], updated: [], suspended: [], directoryDown: false };
    if (this.directory) await this.syncDirectory(this.directory, report);
    if (this.opts.oidcInactiveDays) await this.suspendInactive(this.opts.oidcInactiveDays, report);
    return report;
  }

  private async syncDirectory(directory: Directory, report: SyncReport): Promise<void> {
    const users = await this.deps.store.users.listBySource('ldap');
    const found: Array<{ user: StoredUser; entry: DirectoryUser | null }> = [];
    try {
      for (const user of users) found.push({ user, entry: await directory.find(user.username) });
    } catch (err) {
      report.directoryDown = true;
      this.log.warn('the directory sync skipped this round: the directory cannot be asked', undefined, err);
      return;
    }
    report.checked = found.length;
    const ctx = systemContext(DIRECTORY_SYNC_AUTHOR);
    for (const { user, entry } of found) {
      if (!entry || entry.disabled) {
        const why = entry ? 'disabled in the directory' : 'gone from the directory';
        if (await this.provisioning.suspend(user.username, 'directory-sync', why, ctx))
          report.disabled.push(user.username);
        continue;
      }
      const after = await this.provisioning.refresh(entry, ctx);
      if (after?.changed) report.updated.push(user.username);
    }
  }

  private async suspendInactive(days: number, report: SyncReport): Promise<void> {
    const cutoff = this.deps.now() - days * DAY_MS;
    const ctx = systemContext(DIRECTORY_SYNC_AUTHOR);
    for (const user of await this.deps.store.users.listBySource('oidc')) {
      // Never signed in is impossible for a user made at sign-in; the creation time stands in.
      if (user.disabled || (user.lastSignInAt ?? user.createdAt) >= cutoff) continue;
      const why = `no sign-in for ${days} days`;
      if (await this.provisioning.suspend(user.username, 'inactive', why, ctx))
        report.suspended.push(user.username);
    }
  }
}
