import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  sql,
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import pg from 'pg';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_audit_chain.js';
import * as m0003 from './migrations/0003_sessions_stats.js';
import * as m0004 from './migrations/0004_nodes.js';
import type { Database } from './schema.js';
import { isPostgresUrl } from './url.js';

export { isPostgresUrl };

export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Human-readable location, without credentials, for logs. */
  location: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A file path, `:memory:`, or a `postgres://` URL. */
  url: string;
  /** PostgreSQL pool size per process. */
  poolSize?: number;
  /** PostgreSQL schema to use (tests give each run its own). */
  schema?: string;
}

const MIGRATIONS: Record<string, { up(db: Kysely<unknown>, dialect: DialectName): Promise<void> }> = {
  '0001_initial': m0001,
  '0002_audit_chain': m0002,
  '0003_sessions_stats': m0003,
  '0004_nodes': m0004,
};

/** PostgreSQL BIGINT arrives as a string by default; our BIGINTs are epoch ms and ids, safe as numbers. */
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

/** How long one SQL statement may run on PostgreSQL before the server cancels it. */
const STATEMENT_TIMEOUT_MS = 15_000;

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/**
 * SQLite's default deferred transactions read first and upgrade to a write lock later; two processes
 * doing that at once deadlock, and SQLite answers "database is locked" at once instead of waiting.
 * BEGIN IMMEDIATE takes the write lock up front, so a second writer waits (busy_timeout) instead.
 */
function immediateSqliteDialect(database: SQLite.Database): Dialect {
  const base = new SqliteDialect({ database });
  return {
    createAdapter: () => base.createAdapter(),
    createDriver: (): Driver => {
      const driver = base.createDriver();
      return {
        init: () => driver.init(),
        acquireConnection: () => driver.acquireConnection(),
        beginTransaction: async (connection: DatabaseConnection): Promise<void> => {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
        },
        commitTransaction: (c) => driver.commitTransaction(c),
        rollbackTransaction: (c) => driver.rollbackTransaction(c),
        releaseConnection: (c) => driver.releaseConnection(c),
        destroy: () => driver.destroy(),
      };
    },
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
  };
}

/** Opens the database, applies pending migrations and returns a handle. */
export async function openDatabase(opts: OpenOptions): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (isPostgresUrl(opts.url)) {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    // An idle client that loses its server emits 'error'; without a listener that would kill the process.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    handle = { db, dialect: 'postgres', location: redact(opts.url), close: () => db.destroy() };
  } else {
    if (opts.url !== ':memory:') mkdirSync(dirname(opts.url), { recursive: true });
    let sqlite: SQLite.Database;
    try {
      sqlite = new SQLite(opts.url);
    } catch (err) {
      throw new DatabaseOpenError(`cannot open the SQLite database ${opts.url}: ${(err as Error).message}`);
    }
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    // Another process (the CLI, a second node on the same disk) may hold the write lock briefly.
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: immediateSqliteDialect(sqlite) });
    handle = { db, dialect: 'sqlite', location: opts.url, close: () => db.destroy() };
  }
  try {
    await sql`select 1`.execute(handle.db).catch((err: unknown) => {
      throw new DatabaseOpenError(
        `cannot connect to the database at ${handle.location}: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    await migrate(handle, opts.schema ?? schemaFromUrl(opts.url));
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/** The database could not be reached or opened at start-up; the message names where, without credentials. */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/** A schema chosen in the URL (`?options=-c search_path=…`), which the migrator must be told about. */
function schemaFromUrl(url: string): string | undefined {
  if (!isPostgresUrl(url)) return undefined;
  try {
    const options = new URL(url).searchParams.get('options') ?? '';
    return /search_path=([A-Za-z_][A-Za-z0-9_]*)/.exec(options)?.[1];
  } catch {
    return undefined;
  }
}

async function migrate(handle: DatabaseHandle, schema: string | undefined): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: () =>
      Promise.resolve(
        Object.fromEntries(
          Object.entries(MIGRATIONS).map(([name, mod]): [string, Migration] => [
            name,
            { up: (db) => mod.up(db, handle.dialect) },
          ]),
        ),
      ),
  };
  // On PostgreSQL, Kysely's migrator holds an advisory lock, so nodes starting together migrate once.
  const { error, results } = await new Migrator({
    db: handle.db,
    provider,
    // Kysely looks for its bookkeeping tables in any schema unless told which one.
    ...(handle.dialect === 'postgres' && schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new DatabaseOpenError(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
}
