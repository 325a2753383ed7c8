import type { AppContext } from '../../app.js';
import { readSecret, type IdentityConfig } from '../../config/identity.js';
import { LdapDirectory } from '../../directory/ldap.js';
import type { LdapDirectoryOptions } from '../../directory/ldap-options.js';
import type { NamedLogger } from '../../log/log-manager.js';
import type { Directory } from '../../ports/directory.js';
import { DirectorySync } from '../../services/directory-sync.js';
import type { Scheduler } from '../../services/jobs.js';
import { directoryPasswordCheck } from '../../services/provisioning.js';

/** How often OIDC users are checked for inactivity when there is no LDAP sync interval to follow. */
const OIDC_ONLY_INTERVAL_MS = 3_600_000;

type LdapConfig = NonNullable<IdentityConfig['ldap']>;

/** The LDAP directory's options from the config, with the bind password read where the config says. */
export function ldapOptions(c: LdapConfig): LdapDirectoryOptions {
  return {
    url: c.url,
    startTls: c.startTls,
    tls: {
      ...(c.caFile !== null ? { caFile: c.caFile } : {}),
      rejectUnauthorized: c.rejectUnauthorized,
    },
    bindDn: c.bindDn,
    bindPassword: readSecret(
      { file: c.bindPasswordFile, env: c.bindPasswordEnv },
      'identity.ldap.bindPassword',
    ),
    userBaseDn: c.userBaseDn,
    userFilter: c.userFilter,
    attributes: c.attributes,
    ...(c.groupSearch
      ? {
          groupBaseDn: c.groupSearch.baseDn,
          groupFilter: c.groupSearch.filter,
          groupNameAttribute: c.groupSearch.nameAttribute,
        }
      : {}),
    ...(c.disabledFilter !== null ? { disabledFilter: c.disabledFilter } : {}),
    activeDirectory: c.activeDirectory,
    timeoutMs: c.timeoutMs,
  };
}

export interface DirectoryModule {
  /** The LDAP directory, or null without identity.ldap. */
  directory: Directory | null;
  /** The sync and inactivity job's work, or null when there is nothing to keep in line. */
  sync: DirectorySync | null;
  stop(): Promise<void>;
}

/**
 * With identity.ldap: password checks of everyone but local users and service accounts go to the
 * directory (UserService.verifyPassword), and the sync job keeps directory users in line every
 * syncIntervalSeconds. With identity.oidc: the same job suspends users who stopped signing in.
 * `directory` replaces the LDAP directory built from the config (tests).
 */
export function startDirectory(deps: {
  identity: IdentityConfig;
  ctx: Pick<AppContext, 'users' | 'provisioning' | 'store' | 'now'>;
  jobs: Scheduler;
  log: Pick<NamedLogger, 'warn' | 'info'>;
  directory?: Directory;
}): DirectoryModule {
  const { identity, ctx, jobs, log } = deps;
  const directory = deps.directory ?? (identity.ldap ? new LdapDirectory(ldapOptions(identity.ldap)) : null);
  const oidcInactiveDays = identity.oidc ? identity.oidc.inactiveDays : null;
  if (!directory && !oidcInactiveDays) return { directory: null, sync: null, stop: async () => undefined };
  if (directory)
    ctx.users.useDirectory((name, password) =>
      directoryPasswordCheck(directory, ctx.provisioning, name, password),
    );
  const sync = new DirectorySync(ctx, ctx.provisioning, directory, { oidcInactiveDays }, log);
  const intervalMs = identity.ldap ? identity.ldap.syncIntervalSeconds * 1000 : OIDC_ONLY_INTERVAL_MS;
  const job = jobs.every('directory sync', intervalMs, async () => {
    const r = await sync.run();
    if (r.disabled.length + r.suspended.length + r.updated.length > 0)
      log.info(
        `directory sync: ${r.checked} checked; disabled [${r.disabled.join(', ')}], ` +
          `suspended [${r.suspended.join(', ')}], updated [${r.updated.join(', ')}]`,
      );
  });
  return {
    directory,
    sync,
    stop: async () => {
      job.cancel();
      await job.idle();
      ctx.users.useDirectory(null);
      await directory?.close();
    },
  };
}
