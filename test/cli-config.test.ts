import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../src/cli/main.js';

/** What the CLI says about a bad configuration: an unreachable database, a config file's paths and keys. */

const ADMIN_PASSWORD = 'cli-admin-password';

describe('tokengate configuration errors', () => {
  it('names an unreachable database without its password and exits 69 (unavailable)', async () => {
    const r = await runCliCapture(['--db', 'postgres://tg:secret-pw@127.0.0.1:1/none', 'user', 'list']);
    assert.equal(r.code, 69);
    assert.match(r.err, /cannot connect to the database at postgres:\/\/tg:\*\*\*@127\.0\.0\.1:1\/none/);
    assert.ok(!r.err.includes('secret-pw'));
    assert.equal(r.err.trim().split('\n').length, 1);
  });

  it('resolves paths in a config file against the file, and refuses unknown keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-conf-'));
    try {
      writeFileSync(join(dir, 'tokengate.yaml'), 'dataDir: ./state\nport: 9999\n');
      const init = await runCliCapture(['--config', join(dir, 'tokengate.yaml'), 'init'], {
        TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      });
      assert.equal(init.code, 0, init.err);
      assert.ok(existsSync(join(dir, 'state', 'tokengate.db')));
      const r = await runCliCapture(['--config', join(dir, 'tokengate.yaml'), 'user', 'list', '--json']);
      assert.equal(r.code, 0, r.err);
      writeFileSync(join(dir, 'bad.yaml'), 'prot: 1\n');
      const bad = await runCliCapture(['--config', join(dir, 'bad.yaml'), 'user', 'list']);
      assert.equal(bad.code, 78);
      assert.match(bad.err, /unknown key "prot"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 78 for a first admin password that is too short, an unknown variable and a database of another kind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-conf-'));
    try {
      const short = await runCliCapture(['--data-dir', dir, 'init'], { TOKENGATE_ADMIN_PASSWORD: 'short' });
      assert.equal(short.code, 78, short.err);
      assert.equal(
        short.err.trim(),
        'tokengate: adminPassword must be 8 to 1024 characters (TOKENGATE_ADMIN_PASSWORD)',
      );
      assert.ok(!existsSync(join(dir, 'tokengate.db')));
      const unknown = await runCliCapture(['--data-dir', dir, 'user', 'list'], {
        TOKENGATE_LOG_FORMT: 'json',
      });
      assert.equal(unknown.code, 78, unknown.err);
      assert.match(
        unknown.err,
        /unknown environment variable TOKENGATE_LOG_FORMT; did you mean TOKENGATE_LOG_FORMAT\?/,
      );
      const mysql = await runCliCapture(['user', 'list'], { TOKENGATE_DB: 'mysql://x' });
      assert.equal(mysql.code, 78, mysql.err);
      assert.match(mysql.err, /not a mysql: URL \(TOKENGATE_DB\)/);
      assert.ok(!existsSync('mysql:'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function runCliCapture(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await runCli(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
    return { code, out, err };
  } finally {
    for (const k of Object.keys(env)) Reflect.deleteProperty(process.env, k);
    Object.assign(process.env, saved);
  }
}
