/**
 * What a command loads (issue 15): only what it needs, seen by a module-loader hook in the installed
 * binary's process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { ConfigError } from '../src/config/config.js';
import { DatabaseOpenError, MissingDatabaseError } from '../src/store/database.js';
import { BIN, binaryEnv, CHILD_TIMEOUT_MS, inProcessCli } from './support/cli.js';

const ADMIN_PASSWORD = 'usability-admin-password';

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return binaryEnv(ADMIN_PASSWORD, extra);
}
const cli = inProcessCli(ADMIN_PASSWORD);

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
