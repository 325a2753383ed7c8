import type { Migration, MigrationProvider, MigrationResultSet } from 'kysely';
import type pgModule from 'pg';
import { sql, Kysely, Migrator, PostgresDialect } from './kysely.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_audit_chain.js';
import * as m0003 from './migrations/0003_sessions_stats.js';
import * as m0004 from './migrations/0004_nodes.js';
import * as m0005 from './migrations/0005_audit_search_indexes.js';
import * as m0006 from './migrations/0006_token_lifecycle.js';
import * as m0007 from './migrations/0007_secret_issuer.js';
import * as m0008 from './migrations/0008_audit_time_order_indexes.js';
import * as m0009 from './migrations/0009_user_source.js';
import * as m0010 from './migrations/0010_session_origin.js';
import type { DialectName } from './dialect.js';
import type { Database } from './schema.js';
import { DatabaseOpenError, MissingDatabaseError } from './open-errors.js';
import { openSqlite, SQLITE_WAL_AUTOCHECKPOINT_PAGES } from './sqlite.js';
import { isPostgresUrl } from './url.js';

export { isPostgresUrl, DatabaseOpenError, MissingDatabaseError, SQLITE_WAL_AUTOCHECKPOINT_PAGES };
export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, restrictMode } from './file-modes.js';

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
  '0009_user_source': m0009,
  '0010_session_origin': m0010,
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

/** Opens the database, applies pending migrations and returns a handle. */
export async function openDatabase(opts: OpenOptions): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (isPostgresUrl(opts.url)) {
    const db = postgres(await loadPg(), opts, { max: opts.poolSize ?? 10, queryTimeout: true });
    handle = { db, dialect: 'postgres', location: redact(opts.url), close: () => db.destroy() };
  } else {
    const { db, notices } = await openSqlite(opts.url, opts.mustExist === true);
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
