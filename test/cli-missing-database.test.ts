/**
 * A mistyped data directory or database is refused instead of becoming a new database (issue 15),
 * on SQLite and on PostgreSQL; `init` is what creates one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { runCli } from '../src/cli/main.js';
import { BIN, binaryEnv, CHILD_TIMEOUT_MS, inProcessCli, runBinary } from './support/cli.js';
import { PG_URL, testDatabases } from './support/databases.js';

const ADMIN_PASSWORD = 'usability-admin-password';

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return binaryEnv(ADMIN_PASSWORD, extra);
}
const cli = inProcessCli(ADMIN_PASSWORD);

/** Runs the binary to completion. */
function bin(dataDir: string, args: string[], env: NodeJS.ProcessEnv = childEnv()) {
  return runBinary(dataDir, args, env);
}

describe('tokengate CLI: a missing database is refused, not created', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tg-cli-missing-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const COMMANDS = [
    ['token', 'list'],
    ['settings', 'get'],
    ['settings', 'set', 'auth.basicPasswords', 'false'],
    ['user', 'list'],
    ['audit', 'list'],
    ['audit', 'verify'],
    ['log-level'],
    ['log-style', 'seed'],
    ['cluster', 'status'],
    ['token', 'create', '--user', 'admin', '--description', 'x'],
  ];

  for (const args of COMMANDS) {
    it(`tokengate --data-dir <typo> ${args.join(' ')} exits 78, names the path and creates nothing`, async () => {
      const typo = join(root, 'dta');
      const r = await cli(typo, ...args);
      assert.equal(r.code, 78, r.err);
      assert.equal(
        r.err.trim(),
        `tokengate: no database at ${join(typo, 'tokengate.db')}; run "tokengate init" (or "tokengate serve") to create one, or check --data-dir, --db, TOKENGATE_DATA_DIR and TOKENGATE_DB`,
      );
      assert.ok(!r.err.includes('password'), 'no admin password');
      assert.equal(r.out, '');
      assert.ok(!existsSync(typo), 'the directory was not created');
    });
  }

  it('refuses a --db file that does not exist, through the binary too', () => {
    const db = join(root, 'nested', 'tg.db');
    const r = spawnSync(process.execPath, [BIN, '--db', db, 'settings', 'get'], {
      encoding: 'utf8',
      env: childEnv(),
      timeout: CHILD_TIMEOUT_MS,
    });
    assert.equal(r.status, 78);
    assert.match(
      r.stderr,
      new RegExp(`^tokengate: no database at ${db.replace(/[.]/g, '\\.')}; run "tokengate init"`),
    );
    assert.ok(!existsSync(join(root, 'nested')));
  });

  it("refuses a file that is not tokengate's database and leaves it as it was", async () => {
    const dataDir = join(root, 'other');
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal((await cli(dataDir, 'init')).code, 0);
    const empty = join(root, 'empty.db');
    writeFileSync(empty, '');
    let out = '';
    let err = '';
    const code = await runCli(['--db', empty, 'token', 'list'], {
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    assert.equal(code, 78, err);
    assert.match(err, /no tokengate database at .*empty\.db \(the file has no tokengate tables\)/);
    assert.equal(out, '');
    assert.equal(statSync(empty).size, 0);
    assert.ok(!existsSync(`${empty}-wal`));
  });

  it('init creates the database and the first admin, printing the generated password once', async () => {
    const dataDir = join(root, 'fresh');
    const env = { ...process.env };
    delete env.TOKENGATE_ADMIN_PASSWORD;
    const first = bin(dataDir, ['init'], env);
    assert.equal(first.code, 0, first.err);
    assert.equal(first.out.trim(), `created the database at ${join(dataDir, 'tokengate.db')}`);
    const password = /password: (\S+)/.exec(first.err)?.[1];
    assert.ok(password !== undefined && password.length >= 20, first.err);
    assert.ok(existsSync(join(dataDir, 'tokengate.db')));

    const again = bin(dataDir, ['init'], env);
    assert.equal(again.code, 0, again.err);
    assert.equal(
      again.out.trim(),
      `the database at ${join(dataDir, 'tokengate.db')} already exists; nothing to create`,
    );
    assert.equal(again.err, '', 'no second password');

    // The password works: the admin exists with it (a session sign-in checks the hash).
    const users = bin(dataDir, ['user', 'list', '--json'], env);
    assert.equal(users.code, 0, users.err);
    assert.deepEqual(
      (JSON.parse(users.out) as Array<{ username: string }>).map((u) => u.username),
      ['admin'],
    );
  });
});

const pgDb = (await testDatabases()).find((d) => d.name === 'postgres');

describe(
  'tokengate CLI on PostgreSQL: a database without tokengate tables is refused',
  {
    skip: pgDb?.skip ?? 'PostgreSQL not wanted (TOKENGATE_TEST_DBS)',
  },
  () => {
    const schema = `tg_cli_missing_${randomBytes(5).toString('hex')}`;
    const dbUrl = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    let dataDir: string;
    const admin = async (query: string): Promise<number> => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        return (await c.query(query)).rowCount ?? 0;
      } finally {
        await c.end();
      }
    };
    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'tg-cli-pg-'));
      await admin(`create schema ${schema}`);
    });
    after(async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await admin(`drop schema if exists ${schema} cascade`);
    });

    const run = async (...args: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(['--data-dir', dataDir, '--db', dbUrl, ...args], {
        out: (t) => (out += `${t}\n`),
        err: (t) => (err += `${t}\n`),
      });
      return { code, out, err };
    };

    it('refuses settings get on an empty schema, creating no table, then works after init', async () => {
      const refused = await run('settings', 'get');
      assert.equal(refused.code, 78, refused.err);
      assert.match(
        refused.err,
        /^tokengate: no tokengate database at postgres:\/\/.*: its tables are missing; run "tokengate init"/,
      );
      assert.equal(
        await admin(`select 1 from information_schema.tables where table_schema = '${schema}'`),
        0,
        'no table was created',
      );
      const init = await run('init');
      assert.equal(init.code, 0, init.err);
      assert.match(init.out, /^created the database at postgres:\/\//);
      const got = await run('settings', 'get', 'auth.basicPasswords');
      assert.equal(got.code, 0, got.err);
      assert.equal(got.out.trim(), 'true');
    });
  },
);
