import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.js';

/**
 * The databases every store test runs against, like Kysely's DIALECTS list. SQLite always runs.
 * PostgreSQL runs when reachable at TOKENGATE_TEST_PG (default postgres://postgres@127.0.0.1:5432/test);
 * under CI=true an unreachable PostgreSQL fails the suite instead of skipping it.
 * TOKENGATE_TEST_DBS=sqlite (or postgres) narrows the list.
 */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** Why this database cannot run here; only ever set outside CI. */
  skip: string | false;
  /** Opens a fresh, migrated, empty database. */
  open(): Promise<DatabaseHandle>;
}

export const PG_URL = process.env.TOKENGATE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const WANTED = (process.env.TOKENGATE_TEST_DBS ?? 'sqlite,postgres').split(',');
const CI = process.env.CI === 'true';

/** Why PostgreSQL at PG_URL cannot be used (its error message), or null when it answers. */
export async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Opens PostgreSQL in a schema of its own, dropped when the handle closes. */
export async function openPostgres(): Promise<DatabaseHandle> {
  const schema = `tg_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase({ url: PG_URL, schema, poolSize: 5 });
  } catch (err) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
    throw err;
  }
  return {
    ...handle,
    close: async () => {
      await handle.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

export async function testDatabases(): Promise<TestDatabase[]> {
  const out: TestDatabase[] = [];
  if (WANTED.includes('sqlite')) {
    out.push({ name: 'sqlite', skip: false, open: () => openDatabase({ url: ':memory:' }) });
  }
  if (WANTED.includes('postgres')) {
    const problem = await postgresProblem();
    if (problem !== null && CI) {
      throw new Error(
        `CI=true and PostgreSQL at ${PG_URL} is unreachable (${problem}); set TOKENGATE_TEST_PG or start it`,
      );
    }
    out.push({
      name: 'postgres',
      skip: problem === null ? false : `PostgreSQL unreachable at ${PG_URL}: ${problem}`,
      open: openPostgres,
    });
  }
  return out;
}
