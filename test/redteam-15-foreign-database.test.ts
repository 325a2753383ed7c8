import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { MissingDatabaseError, openDatabase } from '../src/store/database.js';

/**
 * Red team, issue 15: commands other than `serve` and `init` refuse a database tokengate did not
 * create (a mistyped --db or data directory). openSqliteFile says that another program's SQLite file
 * "stays as it was"; refusing it must not change it either, its permissions included. An operator
 * who typed the path of another application's database must not find that application broken
 * (its group or web server can no longer read the file) by a command that was refused.
 */
describe('red team 15: a refused foreign SQLite file is left as it was', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-rt15-db-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps another program's database file mode (0644) when refusing it", async () => {
    const file = join(dir, 'other-app.sqlite');
    const other = new SQLite(file);
    other.exec('create table notes (id integer primary key, body text)');
    other.close();
    chmodSync(file, 0o644);

    await assert.rejects(openDatabase({ url: file, mustExist: true }), MissingDatabaseError);
    assert.equal(
      (statSync(file).mode & 0o777).toString(8),
      '644',
      "the refused file's mode was changed: tokengate chmod-ed a file it then said was not its own",
    );
  });
});
