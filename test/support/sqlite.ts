import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Opens the SQLite database of a data directory behind tokengate's back (to tamper with it), runs `fn`, closes it. */
export function withSqlite<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'tokengate.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
