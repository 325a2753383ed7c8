import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import type {
  SqliteDatabase,
  DatabaseConnection,
  Dialect,
  Driver,
  Migration,
  MigrationProvider,
  MigrationResultSet,
  QueryResult,
} from 'kysely';
import type pgModule from 'pg';
import { sql, CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect } from './kysely.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_audit_chain.js';
import * as m0003 from './migrations/0003_sessions_stats.js';
import * as m0004 from './migrations/0004_nodes.js';
import * as m0005 from './migrations/0005_audit_search_indexes.js';
import * as m0006 from './migrations/0006_token_lifecycle.js';
import * as m0007 from './migrations/0007_secret_issuer.js';
import * as m0008 from './migrations/0008_audit_time_order_indexes.js';
import type { DialectName } from './dialect.js';
import type { Database } from './schema.js';
import { isPostgresUrl } from './url.js';

export { isPostgresUrl };

export type { DialectName } from './dialect.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Human-readable location, without credentials, for logs. */
  location: string;
  /** What opening it had to fix and the operator should hear of (a WARN each), e.g. a file mode tightened. */
  notices?: string[];
  close(): Promise<void>;
}

/** The data directory and the directories tokengate creates: the service user's only. */
export const PRIVATE_DIR_MODE = 0o700;
/** The database, its -wal and -shm, and the log files: the service user's only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Takes group and other permissions away from an existing file or directory (an older version, or
 * an operator's umask, left it wider). Returns the WARN line to log, or null when nothing changed or
 * the path does not exist. The process umask is never touched: in the middleware it is the host's.
 */
export function restrictMode(path: string, mode: number): string | null {
  let current: number;
  try {
    current = statSync(path).mode & 0o777;
  } catch {
    return null;
  }
  if ((current & ~mode) === 0) return null;
  chmodSync(path, mode);
  return `${path} was readable by others (mode ${current.toString(8).padStart(4, '0')}); its mode is now ${mode.toString(8).padStart(4, '0')}`;
}

/**
 * Creates the SQLite file 0600 before SQLite opens it (SQLite gives -wal and -shm the database
 * file's mode), or, with `create` false, checks that it exists.
 */
function prepareSqliteFile(path: string, create: boolean): void {
  if (create) {
    mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
    // 'a' creates the file when missing and never truncates one that another process just created.
    closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  } else if (!existsSync(path)) {
    throw new MissingDatabaseError(resolve(path), `no database at ${resolve(path)}`);
  }
}

/** Tightens tokengate's SQLite file and its -wal and -shm to 0600. Returns the WARN lines. */
function restrictSqliteModes(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`]
    .map((p) => restrictMode(p, PRIVATE_FILE_MODE))
    .filter((m): m is string => m !== null);
}

export interface OpenOptions {
  /** A file path, `:memory:`, or a `postgres://` URL. */
  url: string;
  /** PostgreSQL pool size per process. */
  poolSize?: number;
  /** PostgreSQL schema to use (tests give each run its own). */
  schema?: string;
  /**
   * Only open a database tokengate has already created (its migrations table exists): a missing
   * SQLite file, or a database without tokengate's tables, is a MissingDatabaseError, and nothing is
   * created. Pending migrations of an existing database still run. Default false: create as needed.
   */
  mustExist?: boolean;
}

const MIGRATIONS: Record<string, { up(db: Kysely<unknown>, dialect: DialectName): Promise<void> }> = {
  '0001_initial': m0001,
  '0002_audit_chain': m0002,
  '0003_sessions_stats': m0003,
  '0004_nodes': m0004,
  '0005_audit_search_indexes': m0005,
  '0006_token_lifecycle': m0006,
  '0007_secret_issuer': m0007,
  '0008_audit_time_order_indexes': m0008,
};

/**
 * The PostgreSQL driver, loaded on the first postgres:// URL only: a SQLite process (every CLI
 * command on the default data directory) never pays for loading it.
 */
let pgDriver: Promise<typeof pgModule> | undefined;
function loadPg(): Promise<typeof pgModule> {
  pgDriver ??= import('pg').then(({ default: pg }) => {
    // PostgreSQL BIGINT arrives as a string by default; our BIGINTs are epoch ms and ids, safe as numbers.
    pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
    return pg;
  });
  return pgDriver;
}

/** SQLite page cache per connection, in KiB. */
const SQLITE_CACHE_KIB = 65_536;
/** WAL pages (4 KiB each) after which a commit checkpoints automatically. */
export const SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** How long one SQL statement may run on PostgreSQL before the server cancels it. */
const STATEMENT_TIMEOUT_MS = 15_000;
/**
 * How long the client waits for any answer to a query. Past the statement timeout the server has
 * answered unless it hangs or the network drops packets without a reset; then the query fails (503)
 * instead of holding its request until TCP gives up, minutes later.
 */
const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** How long a SQLite write waits for another process's write lock before it fails (503). */
const SQLITE_LOCK_WAIT_MS = 5_000;
/**
 * How long SQLite itself waits for a lock within one statement. better-sqlite3 waits synchronously,
 * which stops the whole node, so this stays short: the rest of SQLITE_LOCK_WAIT_MS is spent between
 * attempts, with the event loop free.
 */
const SQLITE_BUSY_TIMEOUT_MS = 10;
/** Pauses between attempts to get the lock double from the first to the longest. */
const SQLITE_LOCK_RETRY_FIRST_MS = 5;
const SQLITE_LOCK_RETRY_MAX_MS = 100;

function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** Finds Kysely's bookkeeping table, present in every SQLite database tokengate has migrated. */
const MIGRATIONS_TABLE_SQLITE =
  "select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'";

/** Prepared statements kept per connection; the least recently used goes first. */
const SQLITE_STATEMENT_CACHE = 256;

/**
 * Kysely's SQLite driver prepares every statement it runs. Preparing is parsing and planning: for
 * the audit log's 500-row INSERT about 7 µs per row, as much as SQLite's own work of writing it.
 * This keeps the prepared statements by their text and reuses them (better-sqlite3 re-prepares a
 * statement by itself when the schema changes). One connection runs one statement at a time, and a
 * streamed query holds the connection until it ends, so a statement is never in use twice.
 */
function preparedOnce(database: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string): SQLite.Statement {
      let stmt = statements.get(text);
      if (stmt) {
        statements.delete(text);
      } else {
        stmt = database.prepare(text);
        if (statements.size >= SQLITE_STATEMENT_CACHE) {
          const oldest = statements.keys().next();
          if (!oldest.done) statements.delete(oldest.value);
        }
      }
      statements.set(text, stmt);
      return stmt;
    },
  };
}

/**
 * SQLite's default deferred transactions read first and upgrade to a write lock later; two processes
 * doing that at once deadlock, and SQLite answers "database is locked" at once instead of waiting.
 * BEGIN IMMEDIATE takes the write lock up front, so a second writer waits instead.
 *
 * It waits without stopping the node: a statement outside a transaction (BEGIN IMMEDIATE included)
 * that finds the lock taken is tried again after a pause, for up to SQLITE_LOCK_WAIT_MS, and during
 * the pause the connection goes back to Kysely's queue, so reads (which WAL never blocks) and
 * requests go on. Inside a transaction nothing is repeated: the connection is not ours to lend.
 */
function immediateSqliteDialect(database: SQLite.Database): Dialect {
  const base = new SqliteDialect({ database: preparedOnce(database) });
  return {
    createAdapter: () => base.createAdapter(),
    createDriver: (): Driver => {
      const driver = base.createDriver();
      let transactionOpen = false;
      const patiently = async <R>(raw: DatabaseConnection, query: CompiledQuery): Promise<QueryResult<R>> => {
        const deadline = Date.now() + SQLITE_LOCK_WAIT_MS;
        let pause = SQLITE_LOCK_RETRY_FIRST_MS;
        for (;;) {
          try {
            return await raw.executeQuery<R>(query);
          } catch (err) {
            const retry = isSqliteBusy(err) && !transactionOpen && !database.inTransaction;
            if (!retry || Date.now() + pause > deadline) throw err;
          }
          await driver.releaseConnection(raw);
          await sleep(pause);
          await driver.acquireConnection();
          pause = Math.min(pause * 2, SQLITE_LOCK_RETRY_MAX_MS);
        }
      };
      return {
        init: () => driver.init(),
        acquireConnection: async (): Promise<DatabaseConnection> => {
          const raw = await driver.acquireConnection();
          return {
            executeQuery: <R>(query: CompiledQuery) => patiently<R>(raw, query),
            streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
              raw.streamQuery<R>(query, chunkSize),
          };
        },
        beginTransaction: async (connection: DatabaseConnection): Promise<void> => {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
          transactionOpen = true;
        },
        commitTransaction: async (c) => {
          await driver.commitTransaction(c);
          transactionOpen = false;
        },
        rollbackTransaction: async (c) => {
          transactionOpen = false;
          // SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR …); a second
          // rollback would fail with "no transaction is active" and hide the error that matters.
          if (database.inTransaction) await driver.rollbackTransaction(c);
        },
        releaseConnection: (c) => driver.releaseConnection(c),
        destroy: () => driver.destroy(),
      };
    },
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
  };
}

/**
 * A PostgreSQL pool. `queryTimeout` bounds the wait for any answer (QUERY_TIMEOUT_MS); migrations
 * go without it, since one may lift the statement timeout.
 */
function postgres(
  pg: typeof pgModule,
  opts: OpenOptions,
  limits: { max: number; queryTimeout: boolean },
): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: limits.max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    ...(limits.queryTimeout ? { query_timeout: QUERY_TIMEOUT_MS } : {}),
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client that loses its server emits 'error'; without a listener that would kill the process.
  pool.on('error', () => undefined);
  // So does a checked-out one (pg emits 'error' after failing its queries), and the pool listens
  // only to idle clients: a server that stops while a query runs would crash the node. The
  // queries themselves still fail (503), and the pool drops the broken client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Opens (and unless `mustExist`, creates) the SQLite file. With `mustExist`, a missing file or one
 * without tokengate's tables is refused before anything writes to it (WAL mode, migrations): another
 * program's SQLite file stays as it was.
 */
function openSqliteFile(url: string, mustExist: boolean): { sqlite: SQLite.Database; notices: string[] } {
  const existing = mustExist && url !== ':memory:';
  let sqlite: SQLite.Database | undefined;
  try {
    if (url !== ':memory:') prepareSqliteFile(url, !existing);
    sqlite = new SQLite(url, { fileMustExist: existing });
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    if (existing && sqlite.prepare(MIGRATIONS_TABLE_SQLITE).get() === undefined)
      throw new MissingDatabaseError(
        resolve(url),
        `no tokengate database at ${resolve(url)} (the file has no tokengate tables)`,
      );
    // Only once the file is known to be tokengate's (or was just created by it) are its modes tightened.
    const notices = url === ':memory:' ? [] : restrictSqliteModes(url);
    return { sqlite, notices };
  } catch (err) {
    sqlite?.close();
    if (err instanceof MissingDatabaseError) throw err;
    throw new DatabaseOpenError(`cannot open the SQLite database ${url}: ${(err as Error).message}`);
  }
}

/** Opens the database, applies pending migrations and returns a handle. */
export async function openDatabase(opts: OpenOptions): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (isPostgresUrl(opts.url)) {
    const db = postgres(await loadPg(), opts, { max: opts.poolSize ?? 10, queryTimeout: true });
    handle = { db, dialect: 'postgres', location: redact(opts.url), close: () => db.destroy() };
  } else {
    const { sqlite, notices } = openSqliteFile(opts.url, opts.mustExist === true);
    // Turning a new file to WAL needs the lock: a second process opening the same new file at the same
    // moment (serve --workers) finds it taken and waits, with the event loop free, as writes do.
    for (
      let pause = SQLITE_LOCK_RETRY_FIRST_MS, waited = 0;
      ;
      pause = Math.min(pause * 2, SQLITE_LOCK_RETRY_MAX_MS)
    ) {
      try {
        sqlite.pragma('journal_mode = WAL');
        break;
      } catch (err) {
        if (!isSqliteBusy(err) || waited >= SQLITE_LOCK_WAIT_MS) {
          sqlite.close();
          throw err;
        }
      }
      await sleep(pause);
      waited += pause;
    }
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    // Another process (the CLI, a second node on the same disk) may hold the write lock briefly:
    // SQLite waits a moment itself (busy_timeout above), immediateSqliteDialect the rest of SQLITE_LOCK_WAIT_MS.
    // Audit writes touch one leaf page per user, token and IP index for every event; a 64 MiB page
    // cache (better-sqlite3's default is 16 MiB) keeps those pages across transactions.
    sqlite.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
    // Checkpoint after about 40 MB of WAL instead of 4 MB: a page changed by many transactions is
    // copied back (and the file synced) once per checkpoint, so fewer copies and fsyncs. Measured
    // with bench/audit.ts: roughly 1.5x audit ingest and 2x retention purge.
    sqlite.pragma(`wal_autocheckpoint = ${SQLITE_WAL_AUTOCHECKPOINT_PAGES}`);
    const db = new Kysely<Database>({ dialect: immediateSqliteDialect(sqlite) });
    handle = { db, dialect: 'sqlite', location: opts.url, notices, close: () => db.destroy() };
  }
  try {
    await sql`select 1`.execute(handle.db).catch((err: unknown) => {
      throw new DatabaseOpenError(
        `cannot connect to the database at ${handle.location}: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    // A migration may lift the statement timeout for a long index build (0005): on PostgreSQL it
    // runs on a connection of its own, without the client-side query timeout.
    if (opts.mustExist === true && handle.dialect === 'postgres') {
      const found = await sql<{ present: boolean }>`
        select to_regclass(quote_ident(current_schema()) || '.kysely_migration') is not null as present`.execute(
        handle.db,
      );
      if (found.rows[0]?.present !== true)
        throw new MissingDatabaseError(
          handle.location,
          `no tokengate database at ${handle.location}${opts.schema ? ` (schema ${opts.schema})` : ''}: its tables are missing`,
        );
    }
    if (await upToDate(handle.db)) return handle;
    const migrator =
      handle.dialect === 'postgres' ? postgres(await loadPg(), opts, { max: 1, queryTimeout: false }) : null;
    try {
      await migrate(migrator ? { ...handle, db: migrator } : handle, opts.schema ?? schemaFromUrl(opts.url));
    } finally {
      await migrator?.destroy();
    }
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

/**
 * `mustExist` was asked and tokengate has not created a database there (a mistyped data directory,
 * an empty PostgreSQL database). `location` is the absolute file path or the URL without credentials.
 */
export class MissingDatabaseError extends DatabaseOpenError {
  override name = 'MissingDatabaseError';
  constructor(
    readonly location: string,
    message: string,
  ) {
    super(message);
  }
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

/**
 * Whether the database has recorded exactly tokengate's migrations, so that there is nothing to run.
 * Kysely's migrator would find the same, but only after creating its tables if missing and (on
 * SQLite, see migrate) taking the write lock: a read-only command would wait for a busy server's
 * writes, and pay about 14 ms. Anything else (no table yet, a migration missing, a name this version
 * does not know) goes to the migrator, which runs what is pending or reports what does not match.
 * The table is looked up as the migrator looks it up (search_path on PostgreSQL).
 */
async function upToDate(db: Kysely<Database>): Promise<boolean> {
  let recorded: string[];
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    recorded = rows.map((r) => r.name);
  } catch {
    return false;
  }
  const known = Object.keys(MIGRATIONS);
  return recorded.length === known.length && known.every((name) => recorded.includes(name));
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
  const run = (db: Kysely<Database>): Promise<MigrationResultSet> =>
    new Migrator({
      db,
      provider,
      // Kysely looks for its bookkeeping tables in any schema unless told which one.
      ...(handle.dialect === 'postgres' && schema ? { migrationTableSchema: schema } : {}),
    }).migrateToLatest();
  // On PostgreSQL, Kysely's migrator holds an advisory lock, so nodes starting together migrate once.
  // On SQLite it takes no lock at all: two processes starting on one new file (`serve --workers 2`)
  // would both run a migration. Its write lock, taken up front, makes the second wait and then find
  // nothing left to do; the migrations commit together or not at all.
  const { error, results } =
    handle.dialect === 'postgres'
      ? await run(handle.db)
      : await handle.db.connection().execute(async (conn) => {
          await sql`begin immediate`.execute(conn);
          try {
            const outcome = await run(conn);
            await sql.raw(outcome.error ? 'rollback' : 'commit').execute(conn);
            return outcome;
          } catch (err) {
            await sql`rollback`.execute(conn).catch(() => undefined);
            throw err;
          }
        });
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new DatabaseOpenError(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
}
