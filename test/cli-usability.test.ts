/**
 * The command line as a newcomer meets it (issue 15): no WARN after a change, quiet when piped into
 * `head`, only what a command needs is loaded, and a mistyped data directory is refused instead of
 * becoming a new database. These run the installed binary (the compiled code) in child processes,
 * as an operator would, except where the in-process runner is enough.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { bootstrap, openApp, type AppContext } from '../src/app.js';
import { runCli } from '../src/cli/main.js';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { auditEvent } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { silentLogger } from '../src/log/logger.js';
import { ChangeFeed } from '../src/services/change-feed.js';
import { systemContext } from '../src/services/context.js';
import { SettingsService } from '../src/services/settings-service.js';
import { DatabaseOpenError, MissingDatabaseError } from '../src/store/database.js';
import type { Store } from '../src/store/store.js';
import { inProcessCli } from './support/cli.js';
import { PG_URL, testDatabases } from './support/databases.js';

const BIN = new URL('../bin/tokengate.js', import.meta.url).pathname;
const ADMIN_PASSWORD = 'usability-admin-password';
const cli = inProcessCli(ADMIN_PASSWORD);
const CHILD_TIMEOUT_MS = 60_000;
/** Enough rows that `token list` and `audit list` write several times a pipe's 64 KiB buffer. */
const TOKENS = 400;
const AUDIT_ROWS = 1_500;

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD, ...extra };
}

/** Runs the binary to completion. */
function bin(dataDir: string, args: string[], env: NodeJS.ProcessEnv = childEnv()) {
  const r = spawnSync(process.execPath, [BIN, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env,
    timeout: CHILD_TIMEOUT_MS,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/**
 * Runs the binary with a reader that goes away: after the first chunk of output (`head -1`), or at
 * once, before the command writes anything. Resolves with the exit code and all of stderr.
 */
function binWithClosedReader(
  dataDir: string,
  args: string[],
  when: 'after-first-chunk' | 'at-once',
): Promise<{ code: number | null; signal: string | null; err: string; firstChunk: string }> {
  const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, ...args], { env: childEnv() });
  let err = '';
  let firstChunk = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  if (when === 'at-once') child.stdout.destroy();
  else
    child.stdout.once('data', (d: Buffer) => {
      firstChunk = d.toString('utf8');
      child.stdout.destroy();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not end: ${err}`));
    }, CHILD_TIMEOUT_MS);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, err, firstChunk });
    });
  });
}

async function withContext<T>(dataDir: string, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const config = loadConfig({ dataDir }, { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }, 'cli');
  const ctx = await openApp(config, { log: silentLogger });
  try {
    await bootstrap(ctx, () => undefined);
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

describe('tokengate CLI: changes end without a WARN', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-reload-'));
    assert.equal((await cli(dir, 'init')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Each change publishes itself on the change feed, which starts a settings reload (and, for a
  // widening, a revocation pass); the command used to close the database under them.
  for (const args of [
    ['settings', 'set', 'tokens.expiryWarningDays', '9'],
    ['log-level', 'auth', 'debug'],
    ['log-style', 'seed'],
    ['settings', 'set', 'permissions.manageAllTokens', '["admin","ops"]'],
  ]) {
    it(`tokengate ${args.join(' ')}`, () => {
      const r = bin(dir, args);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, / -> /);
      assert.equal(r.err, '', 'nothing on stderr: no WARN "settings reload failed", no ERROR');
    });
  }
});

/** A promise and the function that settles it, for a store read that ends when the test says. */
function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every queued callback run: whatever could finish without the gate has finished. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('closing waits for the work a change started', () => {
  it('SettingsService.close waits for a reload the change feed started, and starts no more', async () => {
    const read = gate<Record<string, unknown>>();
    let reads = 0;
    const store = {
      settings: {
        all: () => {
          reads++;
          return read.promise;
        },
      },
    } as unknown as Store;
    const feed = new ChangeFeed(store);
    const settings = new SettingsService({ store, feed, nodeId: 'n', now: Date.now });
    feed.publish('settings', ['*']);
    assert.equal(reads, 1);
    let closed = false;
    const closing = settings.close().then(() => (closed = true));
    await settle();
    assert.equal(closed, false, 'close() returned while the reload was still reading');
    read.open({});
    await closing;
    feed.publish('settings', ['*']);
    assert.equal(reads, 1, 'no reload after close()');
  });

  it('ChangeFeed.close stops polling and waits for the poll in progress', async () => {
    const batch = gate<[]>();
    const store = { changes: { since: () => batch.promise } } as unknown as Store;
    const feed = new ChangeFeed(store);
    const polling = feed.poll();
    let closed = false;
    const closing = feed.close().then(() => (closed = true));
    await settle();
    assert.equal(closed, false, 'close() returned while a poll was still reading');
    batch.open([]);
    await Promise.all([polling, closing]);
  });
});

describe('tokengate CLI: a reader that stops early (| head)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-epipe-'));
    await withContext(dir, async (ctx) => {
      const cliCtx = systemContext(CLI_PRINCIPAL.username);
      await ctx.settings.update(CLI_PRINCIPAL, cliCtx, { 'tokens.maxPerUser': TOKENS });
      await ctx.users.create(CLI_PRINCIPAL, cliCtx, { username: 'pipe' });
      const description = `a token with a long description so that the listing is large `.repeat(3);
      for (let i = 0; i < TOKENS; i++)
        await ctx.tokens.create(CLI_PRINCIPAL, cliCtx, 'pipe', { description: `${i} ${description}` });
      const base = Date.parse('2025-01-01T00:00:00Z');
      await ctx.store.transaction((tx) =>
        tx.audit.append(
          Array.from({ length: AUDIT_ROWS }, (_, i) =>
            auditEvent(systemContext('pipe'), 'node-pipe', base + i * 1000, {
              category: 'authentication',
              action: 'auth.failed',
              summary: `request ${i} was refused because it carried no valid token at all`,
            }),
          ),
        ),
      );
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [
    ['token', 'list'],
    ['token', 'list', '--json'],
    ['audit', 'list', '--limit', '10000'],
    ['audit', 'list', '--limit', '10000', '--json'],
  ]) {
    it(`tokengate ${args.join(' ')}: exits 0 without a stack trace after the first chunk`, async () => {
      const r = await binWithClosedReader(dir, args, 'after-first-chunk');
      assert.ok(r.firstChunk.length > 0);
      assert.equal(r.err, '');
      assert.equal(r.signal, null);
      assert.equal(r.code, 0);
    });
  }

  for (const args of [
    ['settings', 'get'],
    ['token', 'list'],
    ['audit', 'list'],
  ]) {
    it(`tokengate ${args.join(' ')}: exits 0 quietly when the reader is gone before the first line`, async () => {
      const r = await binWithClosedReader(dir, args, 'at-once');
      assert.equal(r.err, '');
      assert.equal(r.code, 0);
    });
  }
});

describe('tokengate CLI: loads what the command needs', () => {
  let dir: string;
  let probeDir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-load-'));
    assert.equal((await cli(dir, 'init')).code, 0);
    // A module-loader hook in the child that writes down every ES module it resolves, and at exit every
    // CommonJS module in require's cache (the hook does not see require on Node 20).
    probeDir = mkdtempSync(join(tmpdir(), 'tg-cli-probe-'));
    writeFileSync(
      join(probeDir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.TG_PROBE_OUT, r.url + '\\n');
  return r;
}
`,
    );
    writeFileSync(
      join(probeDir, 'register.mjs'),
      `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(pathToFileURL(join(probeDir, 'hooks.mjs')).href)});
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  appendFileSync(process.env.TG_PROBE_OUT, Object.keys(cache).map((p) => pathToFileURL(p).href + '\\n').join(''));
});
`,
    );
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(probeDir, { recursive: true, force: true });
  });

  /** The URLs of the modules the binary loaded for these arguments. */
  function modulesLoaded(args: string[]): string[] {
    const out = join(probeDir, `${args.join('-').replace(/[^\w.-]/g, '_')}.txt`);
    const r = spawnSync(
      process.execPath,
      ['--import', pathToFileURL(join(probeDir, 'register.mjs')).href, BIN, '--data-dir', dir, ...args],
      { encoding: 'utf8', env: childEnv({ TG_PROBE_OUT: out }), timeout: CHILD_TIMEOUT_MS },
    );
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(out, 'utf8').split('\n');
  }

  /** The packages (node_modules/<name>) the binary loaded for these arguments. */
  function packagesLoaded(args: string[]): Set<string> {
    const urls = modulesLoaded(args);
    return new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
  }

  const SERVER_ONLY = [
    'fastify',
    '@fastify/swagger',
    'undici',
    'ioredis',
    'nodemailer',
    'prom-client',
    'typebox',
  ];

  for (const args of [
    ['token', 'list'],
    ['settings', 'get'],
    ['audit', 'list', '--limit', '5'],
    ['cluster', 'status'],
  ]) {
    it(`tokengate ${args.join(' ')} loads no server module, no PostgreSQL driver and no YAML parser`, () => {
      const loaded = packagesLoaded(args);
      // The probe sees what the command does load: the SQLite driver and Kysely.
      assert.ok(loaded.has('kysely') && loaded.has('better-sqlite3'), [...loaded].join(', '));
      // yaml is loaded when a config file is read; there is none here.
      for (const name of [...SERVER_ONLY, 'pg', 'yaml']) assert.ok(!loaded.has(name), `${name} was loaded`);
    });
  }

  it('tokengate token list loads Kysely once, its CommonJS build through src/store/kysely.ts', () => {
    const kysely = modulesLoaded(['token', 'list']).filter((u) => u.includes('/node_modules/kysely/'));
    // Node 20 loads the ES module build's 263 files about twice as slowly (docs/benchmarks.md).
    assert.ok(
      kysely.some((u) => u.includes('/kysely/dist/cjs/kysely.js')),
      `Kysely's CommonJS build was not loaded:\n${kysely.slice(0, 5).join('\n')}`,
    );
    const esm = kysely.filter((u) => u.includes('/kysely/dist/esm/'));
    assert.deepEqual(esm.slice(0, 3), [], `${esm.length} modules of Kysely's ES module build were loaded`);
  });

  it('a config file loads the YAML parser, on first use, and the binary reads it', () => {
    const config = join(probeDir, 'tokengate.yaml');
    writeFileSync(config, `dataDir: ${JSON.stringify(dir)}\n`);
    assert.ok(packagesLoaded(['--config', config, 'token', 'list']).has('yaml'));
    writeFileSync(config, 'dataDir: [unclosed\n');
    const r = spawnSync(process.execPath, [BIN, '--config', config, 'token', 'list'], {
      encoding: 'utf8',
      env: childEnv(),
      timeout: CHILD_TIMEOUT_MS,
    });
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, /config file .*tokengate\.yaml is not valid YAML/);
  });

  it('tokengate --version loads neither the database nor the configuration', () => {
    const loaded = packagesLoaded(['--version']);
    assert.ok(loaded.has('commander'));
    for (const name of [...SERVER_ONLY, 'pg', 'kysely', 'better-sqlite3', 'yaml'])
      assert.ok(!loaded.has(name), `${name} was loaded`);
  });

  it('a command on an up-to-date database does not wait for the write lock another process holds', async () => {
    // A busy server's write (here: a transaction left open) holds SQLite's write lock. With nothing to
    // migrate, opening the database only reads; the migrator would take the lock and give up after 5 s.
    const other = new SQLite(join(dir, 'tokengate.db'));
    try {
      other.exec('begin immediate');
      const r = await cli(dir, 'settings', 'get', 'tokens.maxPerUser');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /\d/);
    } finally {
      other.close();
    }
  });

  it('the CLI tells configuration errors apart by these names (it does not load their modules to start)', () => {
    assert.equal(new ConfigError('x').name, 'ConfigError');
    assert.equal(new DatabaseOpenError('x').name, 'DatabaseOpenError');
    assert.equal(new MissingDatabaseError('/x', 'x').name, 'MissingDatabaseError');
  });
});

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

describe('tokengate log-style', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-style-'));
    assert.equal((await cli(dir, 'init')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the style, sets it (audited) and refuses an unknown one naming the accepted values', async () => {
    assert.equal((await cli(dir, 'log-style')).out, 'tokengate\n');
    const set = await cli(dir, 'log-style', 'seed');
    assert.equal(set.code, 0, set.err);
    assert.equal(set.out, 'log.style: tokengate -> seed\n');
    assert.equal((await cli(dir, 'log-style')).out, 'seed\n');
    assert.equal((await cli(dir, 'settings', 'get', 'log.style')).out, '"seed"\n');

    const audit = await cli(dir, 'audit', 'list', '--json', '--action', 'settings.changed');
    const records = audit.out
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { author: string; details: { key: string; oldValue: unknown; newValue: unknown } },
      );
    assert.deepEqual(
      records.map((r) => [r.author, r.details.key, r.details.oldValue, r.details.newValue]),
      [['@cli', 'log.style', 'tokengate', 'seed']],
    );

    const bad = await cli(dir, 'log-style', 'log4j');
    assert.equal(bad.code, 1);
    assert.equal(bad.err, 'tokengate: style: "log4j" is not a log style; use one of tokengate, seed\n');
    const extra = await cli(dir, 'log-style', 'seed', 'more');
    assert.equal(extra.code, 1);
    assert.match(extra.err, /too many arguments/);
    assert.equal((await cli(dir, 'log-style')).out, 'seed\n', 'unchanged by the refused calls');
  });
});
