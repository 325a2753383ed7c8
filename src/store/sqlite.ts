import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import type { SqliteDatabase, DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, restrictMode } from './file-modes.js';
import { CompiledQuery, Kysely, SqliteDialect } from './kysely.js';
import { DatabaseOpenError, MissingDatabaseError } from './open-errors.js';
import type { Database } from './schema.js';

/** SQLite page cache per connection, in KiB. */
const SQLITE_CACHE_KIB = 65_536;
/** WAL pages (4 KiB each) after which a commit checkpoints automatically. */
export const SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000;

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

/**
 * Runs `step` again while another process holds a lock SQLite does not wait for itself: a reader can
 * meet SQLITE_BUSY at once, without the busy handler, while the last connection of another process
 * checkpoints and deletes the WAL on close, or while one recovers it. Pauses with the event loop free,
 * for up to SQLITE_LOCK_WAIT_MS, then lets the error through.
 */
async function whileBusy<T>(step: () => T): Promise<T> {
  for (
    let pause = SQLITE_LOCK_RETRY_FIRST_MS, waited = 0;
    ;
    pause = Math.min(pause * 2, SQLITE_LOCK_RETRY_MAX_MS)
  ) {
    try {
      return step();
    } catch (err) {
      if (!isSqliteBusy(err) || waited >= SQLITE_LOCK_WAIT_MS) throw err;
    }
    await sleep(pause);
    waited += pause;
  }
}

/**
 * Opens (and unless `mustExist`, creates) the SQLite file. With `mustExist`, a missing file or one
 * without tokengate's tables is refused before anything writes to it (WAL mode, migrations): another
 * program's SQLite file stays as it was.
 */
async function openSqliteFile(
  url: string,
  mustExist: boolean,
): Promise<{ sqlite: SQLite.Database; notices: string[] }> {
  const existing = mustExist && url !== ':memory:';
  let sqlite: SQLite.Database | undefined;
  try {
    if (url !== ':memory:') prepareSqliteFile(url, !existing);
    const opened = new SQLite(url, { fileMustExist: existing });
    sqlite = opened;
    opened.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    if (existing && (await whileBusy(() => opened.prepare(MIGRATIONS_TABLE_SQLITE).get())) === undefined)
      throw new MissingDatabaseError(
        resolve(url),
        `no tokengate database at ${resolve(url)} (the file has no tokengate tables)`,
      );
    // Turning a new file to WAL needs the lock: a second process opening the same new file at the same
    // moment (serve --workers) finds it taken and waits, with the event loop free, as writes do.
    await whileBusy(() => opened.pragma('journal_mode = WAL'));
    // Only once the file is known to be tokengate's (or was just created by it) are its modes tightened.
    const notices = url === ':memory:' ? [] : restrictSqliteModes(url);
    return { sqlite: opened, notices };
  } catch (err) {
    sqlite?.close();
    if (err instanceof MissingDatabaseError) throw err;
    throw new DatabaseOpenError(`cannot open the SQLite database ${url}: ${(err as Error).message}`);
  }
}

/**
 * Opens the SQLite file (see openSqliteFile) in WAL mode and returns Kysely on it, with statements
 * prepared once and writes that wait for another process's lock without stopping the node.
 */
export async function openSqlite(
  url: string,
  mustExist: boolean,
): Promise<{ db: Kysely<Database>; notices: string[] }> {
  const { sqlite, notices } = await openSqliteFile(url, mustExist);
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
  return { db: new Kysely<Database>({ dialect: immediateSqliteDialect(sqlite) }), notices };
}
