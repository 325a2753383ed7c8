import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleApp, type AppContext } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { randomBase62 } from '../../src/domain/token/base62.js';
import { CLI_PRINCIPAL } from '../../src/domain/auth/permissions.js';
import { generateToken } from '../../src/domain/token/format.js';
import { hashToken } from '../../src/domain/token/hash.js';
import type { Logger } from '../../src/log/logger.js';
import type { NoticeChannel, Notifier, TokenNotice } from '../../src/notify/notifier.js';
import { systemContext } from '../../src/services/context.js';
import { startTokenLifecycle, type TokenLifecycleDeps } from '../../src/services/token-lifecycle.js';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import type { Store } from '../../src/store/store.js';
import { recordArtifact, recordAudit, recordSecret, watchContext } from './artifacts.js';
import { openPostgres, PG_URL, type TestDatabase } from './databases.js';

/**
 * Setup for the token life-cycle tests (test/token-lifecycle*.test.ts): the job with a hand-moved
 * clock, tokens stored with any times, fresh databases and two nodes on one database.
 */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** Tokens are created at T0; the job's clock is set relative to it. */
export const T0 = Date.UTC(2026, 0, 5, 12, 0);
export const cli = systemContext('@cli');

export interface Collected extends Logger {
  lines: string[];
}

/** Every logger handed out, recorded as artifacts by `recordLoggers`. */
const logs: Collected[] = [];
export function logger(): Collected {
  const lines: string[] = [];
  const l: Collected = {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m, err) => lines.push(`ERROR ${m}${err instanceof Error ? `: ${err.message}` : ''}`),
  };
  logs.push(l);
  return l;
}

/** A notifier that keeps what it was given. */
export function recorder(channels?: NoticeChannel[]): Notifier & { notices: TokenNotice[] } {
  const notices: TokenNotice[] = [];
  return {
    notices,
    ...(channels ? { channels } : {}),
    notify: (n) => {
      notices.push(n);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

export function job(
  app: AppContext,
  notifier: Notifier,
  now: () => number,
  extra: Partial<TokenLifecycleDeps> = {},
): ReturnType<typeof startTokenLifecycle> {
  return startTokenLifecycle({
    store: app.store,
    tokens: app.tokens,
    settings: app.settings,
    notifier,
    log: logger(),
    nodeId: app.config.nodeId,
    now,
    feed: app.feed,
    intervalMs: 0,
    ...extra,
  });
}

export interface TokenSpec {
  expiresAt: number | null;
  createdAt?: number;
  lastUsedAt?: number;
  revoked?: boolean;
}

/** Stores a token as it would be after `spec`: times chosen freely, which the service would not allow. */
export async function addToken(
  app: AppContext,
  user: string,
  description: string,
  spec: TokenSpec,
): Promise<string> {
  const plain = generateToken('tg');
  recordSecret('token', plain);
  const id = `tok_${randomBase62(16)}`;
  await app.store.tokens.insert({
    id,
    hash: hashToken(plain),
    user,
    description,
    scope: 'read',
    createdAt: spec.createdAt ?? T0,
    createdBy: '@cli',
    expiresAt: spec.expiresAt,
    lastUsedAt: spec.lastUsedAt ?? null,
    lastUsedIp: spec.lastUsedAt === undefined ? null : '192.0.2.7',
    allowedIps: null,
    rateLimit: null,
    revokedAt: spec.revoked ? T0 : null,
    revokedBy: spec.revoked ? 'admin' : null,
    secretIssuedBy: '@cli',
  });
  return id;
}

export async function addUser(app: AppContext, username: string, email: string | null): Promise<void> {
  await app.users.create(CLI_PRINCIPAL, cli, {
    username,
    displayName: username.toUpperCase(),
    ...(email ? { email } : {}),
  });
}

export async function audits(
  app: AppContext,
  action: string,
): Promise<Awaited<ReturnType<Store['audit']['search']>>> {
  return app.store.audit.search({ action }, 10_000);
}

export async function tokenIds(app: AppContext): Promise<string[]> {
  const rows = await app.database.db.selectFrom('tokens').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}

export async function warnedAt(app: AppContext, id: string): Promise<number | null> {
  const r = await app.database.db
    .selectFrom('tokens')
    .select('expiry_warned_at')
    .where('id', '=', id)
    .executeTakeFirst();
  return r?.expiry_warned_at ?? null;
}

export const config = (nodeId: string) => loadConfig({ db: ':memory:', nodeId }, {});

/** A fresh, migrated database with one app on it. */
export async function fresh(db: TestDatabase): Promise<{ app: AppContext; close(): Promise<void> }> {
  const handle = await db.open();
  const app = await assembleApp(config('node-a'), handle, { log: logger() });
  watchContext(app);
  // Tokens without expiry are allowed, so the tests can store some.
  await app.settings.update(CLI_PRINCIPAL, cli, {
    'tokens.maxValidityDays': null,
    'tokens.defaultValidityDays': null,
  });
  return {
    app,
    close: async () => {
      await recordAudit(`token-lifecycle ${db.name}`, app).catch(() => undefined);
      await handle.close();
    },
  };
}

/** Two apps ("nodes") on one database: one shared SQLite file, or two PostgreSQL pools. */
export async function sharedPair(
  db: TestDatabase,
): Promise<{ a: AppContext; b: AppContext; close(): Promise<void> }> {
  let handles: DatabaseHandle[];
  let dir: string | undefined;
  if (db.name === 'sqlite') {
    // As in test/services-conformance.test.ts: two nodes in one process share the connection.
    dir = mkdtempSync(join(tmpdir(), 'tg-lifecycle-'));
    handles = [await openDatabase({ url: join(dir, 'shared.db') })];
  } else {
    const first = await openPostgres();
    const row = await first.db
      .selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s'))
      .executeTakeFirstOrThrow();
    handles = [first, await openDatabase({ url: PG_URL, schema: row.s })];
  }
  const [h0, h1] = [handles[0] as DatabaseHandle, handles[1] ?? (handles[0] as DatabaseHandle)];
  const a = await assembleApp(config('node-a'), h0, { log: logger() });
  const b = await assembleApp(config('node-b'), h1, { log: logger() });
  return {
    a,
    b,
    close: async () => {
      await recordAudit(`token-lifecycle pair ${db.name}`, a).catch(() => undefined);
      await handles[1]?.close();
      await handles[0]?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Records every logger handed out so far as an artifact (for the secret scan), named after `source`. */
export function recordLoggers(source: string): void {
  for (const [i, l] of logs.entries()) recordArtifact('log', `${source} logger ${i}`, l.lines.join('\n'));
}
