import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/config.js';
import type { Settings } from './domain/settings.js';
import type { Logger } from './log/logger.js';
import { ManagementAuthenticator } from './auth/management.js';
import { ChangeFeed } from './services/change-feed.js';
import type { ServiceDeps } from './services/context.js';
import { CredentialCache } from './auth/credential-cache.js';
import { SessionService } from './auth/sessions.js';
import { SettingsService, type SettingsSnapshot } from './services/settings-service.js';
import { withIdentityGroups, type IdentityGroups } from './domain/auth/permissions.js';
import { Provisioning } from './services/provisioning.js';
import { TokenService } from './services/token-service.js';
import { UserService } from './services/user-service.js';
import {
  openDatabase,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  restrictMode,
  type DatabaseHandle,
} from './store/database.js';
import { Store } from './store/store.js';

/** Everything a command or a server needs, built once from the configuration. */
export interface AppContext {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  store: Store;
  feed: ChangeFeed;
  settings: SettingsService;
  users: UserService;
  /** Users a directory or SSO vouched for: created just in time, kept current, disabled when gone. */
  provisioning: Provisioning;
  tokens: TokenService;
  cache: CredentialCache;
  authenticator: ManagementAuthenticator;
  sessions: SessionService;
  now: () => number;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  log: Logger;
  now?: () => number;
  /** PostgreSQL schema (tests). */
  schema?: string;
  /** Refuse to create the database: only open one tokengate made (see OpenOptions.mustExist). */
  mustExist?: boolean;
}

/**
 * The composition root: opens the database (SQLite file or PostgreSQL URL, chosen by the config),
 * runs migrations, and wires the services. Nothing else constructs services.
 */
export async function openApp(config: Config, opts: OpenAppOptions): Promise<AppContext> {
  const database = await openDatabase({
    url: config.db,
    ...(opts.schema ? { schema: opts.schema } : {}),
    ...(opts.mustExist ? { mustExist: true } : {}),
  });
  for (const notice of [...(database.notices ?? []), ...restrictDataModes(config)]) opts.log.warn(notice);
  return assembleApp(config, database, opts);
}

/** tokengate.log and its rotations (tokengate.log.1 …). */
const LOG_FILE = /^tokengate\.log(\.\d+)?$/;

/**
 * Takes group and other permissions away from the data directory, the log directory and the log
 * files that an older version (or a loose umask) left readable by others; the database files are
 * the store's. New files are created private by whoever creates them. Returns the WARN lines.
 */
function restrictDataModes(config: Config): string[] {
  const notices = [
    restrictMode(config.dataDir, PRIVATE_DIR_MODE),
    restrictMode(config.log.dir, PRIVATE_DIR_MODE),
  ];
  let logs: string[] = [];
  try {
    logs = readdirSync(config.log.dir).filter((f) => LOG_FILE.test(f));
  } catch {
    // No log directory (yet): nothing to tighten.
  }
  for (const f of logs) notices.push(restrictMode(join(config.log.dir, f), PRIVATE_FILE_MODE));
  return notices.filter((n): n is string => n !== null);
}

/** Wires the services over an open database. Tests use it to run the same services on every database. */
export async function assembleApp(
  config: Config,
  database: DatabaseHandle,
  opts: OpenAppOptions,
): Promise<AppContext> {
  const store = Store.from(database);
  const now = opts.now ?? Date.now;
  const feed = new ChangeFeed(store, (err) =>
    opts.log.error('reading the change feed failed; caches rely on their lifetime until it recovers', err),
  );
  const deps: ServiceDeps = { store, feed, nodeId: config.nodeId, now };
  const settings = new IdentitySettingsService(deps, (m) => opts.log.warn(m), config.identity.groups);
  await settings.reload();
  const users = new UserService(deps, settings);
  const tokens = new TokenService(deps, settings);
  const provisioning = new Provisioning(deps, settings, config.identity.groups);
  // A settings change that widens a group's management powers revokes the tokens others made for
  // its members (group changes do it in their own transaction, in UserService).
  // close() waits for revocations in flight, so a one-shot command's change finishes before the database closes.
  let previous = settings.current;
  const revoking = new Set<Promise<void>>();
  settings.onChange((snap) => {
    const before = previous;
    previous = snap.settings;
    const done = tokens
      .revokeOnSettingsWidening(before, snap.settings)
      .then(() => undefined)
      .catch((err: unknown) => opts.log.error('revoking tokens after a permissions change failed', err))
      .finally(() => revoking.delete(done));
    revoking.add(done);
  });
  const cache = new CredentialCache(store, feed, {
    maxEntries: config.cache.maxEntries,
    ttlMs: config.cache.ttlSeconds * 1000,
  });
  const authenticator = new ManagementAuthenticator(cache, settings, users, feed, now);
  const sessions = new SessionService(deps, users, cache, feed);
  return {
    config,
    log: opts.log,
    database,
    store,
    feed,
    settings,
    users,
    provisioning,
    tokens,
    cache,
    authenticator,
    sessions,
    now,
    // In order: no new polls, then the work changes started (a settings reload, the revocations a
    // reload or a change may start), then the database. Work still running would find it closed.
    close: async () => {
      await feed.close();
      await settings.close();
      await Promise.all(revoking);
      await database.close();
    },
  };
}

/**
 * The settings as every permission check reads them: the stored `permissions.*` lists with the
 * config's directory groups (identity.groups) added (domain/auth/permissions.ts withIdentityGroups).
 * Changes still store and audit the settings alone; only what is read includes the config's groups.
 */
class IdentitySettingsService extends SettingsService {
  private merged: { from: SettingsSnapshot; to: SettingsSnapshot } | null = null;

  constructor(
    deps: ServiceDeps,
    warn: (msg: string) => void,
    private readonly groups: IdentityGroups,
  ) {
    super(deps, warn);
  }

  override get snapshot(): SettingsSnapshot {
    const from = super.snapshot;
    if (this.merged?.from !== from) {
      const settings = withIdentityGroups(from.settings, this.groups);
      this.merged = { from, to: settings === from.settings ? from : { ...from, settings } };
    }
    return this.merged.to;
  }

  override get current(): Settings {
    return this.snapshot.settings;
  }
}

/**
 * Creates the first admin on a new database and reports a generated password exactly once. The
 * password goes to the given writer (the terminal), never to the log.
 */
export async function bootstrap(ctx: AppContext, show: (text: string) => void): Promise<void> {
  const r = await ctx.users.bootstrapAdmin(ctx.config.adminPassword);
  if (!r.created) return;
  if (r.generatedPassword !== null) {
    show(
      [
        '',
        '  tokengate created the first administrator.',
        `    user:     admin`,
        `    password: ${r.generatedPassword}`,
        '  This password is shown once. Store it now, or set TOKENGATE_ADMIN_PASSWORD before the first start.',
        '',
      ].join('\n'),
    );
  } else {
    ctx.log.info('created the admin user with the password from TOKENGATE_ADMIN_PASSWORD');
  }
}
