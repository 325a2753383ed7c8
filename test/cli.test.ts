import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isWellFormedToken } from '../src/domain/token/format.js';
import { BIN, inProcessCli, installedCli } from './support/cli.js';

const ADMIN_PASSWORD = 'cli-admin-password';

/** Runs the CLI in this process against a data dir; returns the exit code and what it printed. */
const cli = inProcessCli(ADMIN_PASSWORD);

/** Runs the installed binary in a child process. */
const bin = installedCli(ADMIN_PASSWORD);

describe('tokengate CLI', () => {
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-'));
    // Commands other than init and serve refuse a database that does not exist yet.
    assert.equal((await cli(dir, 'init')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help for the binary and lists every command group', () => {
    const r = bin(dir, ['--help']);
    assert.equal(r.code, 0, r.err);
    for (const cmd of ['serve', 'user', 'token', 'settings', 'audit'])
      assert.match(r.out, new RegExp(`\\b${cmd}\\b`));
    const sub = bin(dir, ['token', 'create', '--help']);
    assert.match(sub.out, /--allow-ip <cidr>/);
  });

  it('creates a token and prints only the token', async () => {
    assert.equal(
      (await cli(dir, 'user', 'add', 'alice', '--group', 'dev', '--email', 'alice@example.test')).code,
      0,
    );
    const r = await cli(
      dir,
      'token',
      'create',
      '--user',
      'alice',
      '--description',
      'ci job',
      '--scope',
      'write',
      '--expires',
      '30d',
      '--allow-ip',
      '10.0.0.0/8',
    );
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.ok(isWellFormedToken(lines[0] ?? '', 'tgp'), r.out);
  });

  it('creates a token as JSON with its record', async () => {
    const r = await cli(
      dir,
      'token',
      'create',
      '--user',
      'alice',
      '--description',
      'json one',
      '--rate-limit',
      '100/60',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const data = JSON.parse(r.out) as {
      token: string;
      record: { user: string; createdBy: string; scope: string; rateLimit: unknown };
    };
    assert.ok(isWellFormedToken(data.token));
    assert.deepEqual([data.record.user, data.record.createdBy, data.record.scope], ['alice', '@cli', 'read']);
    assert.deepEqual(data.record.rateLimit, { requests: 100, windowSeconds: 60 });
  });

  it('lists tokens without their secrets, and revokes one', async () => {
    const made = JSON.parse(
      (await cli(dir, 'token', 'create', '--user', 'alice', '--description', 'to revoke', '--json')).out,
    ) as { token: string; record: { id: string } };
    const table = await cli(dir, 'token', 'list', '--user', 'alice');
    assert.equal(table.code, 0);
    assert.match(table.out, /^ID\s+USER\s+SCOPE\s+STATUS/m);
    assert.ok(table.out.includes(made.record.id));
    assert.ok(!table.out.includes(made.token));
    const rev = await cli(dir, 'token', 'revoke', made.record.id, '-y');
    assert.equal(rev.code, 0, rev.err);
    const json = JSON.parse((await cli(dir, 'token', 'list', '--json', '--status', 'revoked')).out) as Array<{
      id: string;
      status: string;
    }>;
    assert.deepEqual(
      json.map((t) => t.id),
      [made.record.id],
    );
    assert.ok(!JSON.stringify(json).includes(made.token));
  });

  it('prints one clear line and exits non-zero on errors', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['token', 'create', '--user', 'ghost', '--description', 'x'], /user ghost does not exist/],
      [['token', 'create', '--user', 'alice', '--description', 'x', '--scope', 'admin'], /--scope/],
      [
        ['token', 'create', '--user', 'alice', '--description', 'x', '--expires', '2099-01-01'],
        /latest allowed expiry is/,
      ],
      [['token', 'create', '--user', 'alice', '--description', 'x', '--allow-ip', '300.1.1.1'], /allowedIps/],
      [['token', 'create', '--user', 'alice', '--description', 'x', '--rate-limit', 'lots'], /--rate-limit/],
      [['token', 'revoke', 'tok_nope', '--yes'], /does not exist/],
      [['settings', 'set', 'auth.nope', 'true'], /auth\.nope: unknown setting/],
      [['settings', 'set', 'rateLimit.requests', '-1'], /rateLimit\.requests/],
      [['settings', 'get', 'nope'], /unknown setting/],
      [['user', 'add', 'Bad Name'], /username/],
      [['audit', 'list', '--limit', '0'], /--limit/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(dir, ...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.err, message, args.join(' '));
      assert.equal(r.err.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.err}`);
      assert.equal(r.out, '');
    }
    const unknown = bin(dir, ['frobnicate']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.err, /unknown command/);
  });

  it('reads and changes settings, accepting JSON and comma-separated lists', async () => {
    assert.equal((await cli(dir, 'settings', 'get', 'auth.basicPasswords')).out.trim(), 'true');
    const set = await cli(dir, 'settings', 'set', 'auth.allowedIps', '10.0.0.0/8,192.168.1.1');
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /auth\.allowedIps: \[\] -> \["10\.0\.0\.0\/8","192\.168\.1\.1\/32"\]/);
    const never = await cli(dir, 'settings', 'set', 'tokens.defaultValidityDays', 'null');
    assert.equal(never.code, 65, 'validation');
    assert.match(never.err, /while tokens\.maxValidityDays is 365/);
    assert.equal((await cli(dir, 'settings', 'set', 'tokens.maxValidityDays', 'null')).code, 0);
    assert.equal((await cli(dir, 'settings', 'get', 'tokens.maxValidityDays')).out.trim(), 'null');
    assert.equal((await cli(dir, 'settings', 'set', 'tokens.maxValidityDays', '365')).code, 0);
    const all = JSON.parse((await cli(dir, 'settings', 'get', '--json')).out) as Record<string, unknown>;
    assert.deepEqual(all['auth.allowedIps'], ['10.0.0.0/8', '192.168.1.1/32']);
    assert.equal((await cli(dir, 'settings', 'set', 'auth.allowedIps', '[]')).code, 0);
  });

  it('manages users, reading a password from stdin', async () => {
    const add = bin(
      dir,
      ['user', 'add', 'bob', '--display-name', 'Bob B', '--password-stdin'],
      'bob-password-1\n',
    );
    assert.equal(add.code, 0, add.err);
    const list = JSON.parse((await cli(dir, 'user', 'list', '--json')).out) as Array<{
      username: string;
      hasPassword: boolean;
      disabled: boolean;
    }>;
    const bob = list.find((u) => u.username === 'bob');
    assert.equal(bob?.hasPassword, true);
    assert.equal((await cli(dir, 'user', 'disable', 'bob', '-y')).code, 0);
    assert.match((await cli(dir, 'user', 'list')).out, /^bob\s+disabled/m);
    assert.equal((await cli(dir, 'user', 'enable', 'bob')).code, 0);
    assert.equal((await cli(dir, 'user', 'delete', '--yes', 'bob')).code, 0);
    assert.ok(!(await cli(dir, 'user', 'list')).out.includes('bob'));
  });

  it('holds tokens.maxPerUser when several processes create tokens at once', async () => {
    assert.equal((await cli(dir, 'user', 'add', 'racer')).code, 0);
    assert.equal((await cli(dir, 'settings', 'set', 'tokens.maxPerUser', '2')).code, 0);
    const run = (i: number) =>
      new Promise<{ code: number; err: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [BIN, '--data-dir', dir, 'token', 'create', '--user', 'racer', '--description', `p${i}`],
          {
            env: { ...process.env, TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD },
          },
        );
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => resolve({ code: code ?? -1, err }));
      });
    try {
      const results = await Promise.all([0, 1, 2, 3].map(run));
      assert.equal(results.filter((r) => r.code === 0).length, 2, JSON.stringify(results));
      for (const r of results.filter((x) => x.code !== 0)) assert.match(r.err, /tokens\.maxPerUser/);
    } finally {
      // The later tests create tokens for alice: a failure here must not fail them too.
      assert.equal((await cli(dir, 'settings', 'set', 'tokens.maxPerUser', '10')).code, 0);
    }
  });

  it("changes a user's details and groups, and removes a password", async () => {
    assert.equal(bin(dir, ['user', 'add', 'sam', '--password-stdin'], 'sam-password-1\n').code, 0);
    const set = await cli(
      dir,
      'user',
      'set',
      'sam',
      '--display-name',
      'Sam S',
      '--email',
      'sam@example.test',
      '--group',
      'ops',
      '--group',
      'dev',
    );
    assert.equal(set.code, 0, set.err);
    let sam = (
      JSON.parse((await cli(dir, 'user', 'list', '--json')).out) as Array<Record<string, unknown>>
    ).find((u) => u.username === 'sam');
    assert.deepEqual(
      [sam?.displayName, sam?.email, sam?.groups, sam?.hasPassword],
      ['Sam S', 'sam@example.test', ['ops', 'dev'], true],
    );
    assert.equal((await cli(dir, 'user', 'set', 'sam', '--no-password', '--no-groups')).code, 0);
    sam = (JSON.parse((await cli(dir, 'user', 'list', '--json')).out) as Array<Record<string, unknown>>).find(
      (u) => u.username === 'sam',
    );
    assert.deepEqual([sam?.groups, sam?.hasPassword], [[], false]);
    const nothing = await cli(dir, 'user', 'set', 'sam');
    assert.equal(nothing.code, 64, 'usage');
    assert.match(nothing.err, /nothing to change/);
  });

  it('refuses a zero-day validity', async () => {
    const r = await cli(dir, 'token', 'create', '--user', 'alice', '--description', 'x', '--expires', '0d');
    assert.equal(r.code, 65, 'validation');
    assert.match(r.err, /validityDays/);
  });

  it('filters the audit log by token and category', async () => {
    const made = JSON.parse(
      (await cli(dir, 'token', 'create', '--user', 'alice', '--description', 'filtered', '--json')).out,
    ) as { record: { id: string } };
    await cli(dir, 'token', 'revoke', '-y', made.record.id);
    const r = await cli(dir, 'audit', 'list', '--json', '--token', made.record.id);
    const actions = r.out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { action: string }).action);
    assert.deepEqual(actions, ['token.revoked', 'token.created']);
    const users = (await cli(dir, 'audit', 'list', '--json', '--category', 'users')).out.trim().split('\n');
    assert.ok(
      users.length > 0 && users.every((l) => (JSON.parse(l) as { category: string }).category === 'users'),
    );
    assert.equal((await cli(dir, 'audit', 'list', '--category', 'nope')).code, 65);
  });

  it('shows and sets log levels, persisted in the database', async () => {
    const set = await cli(dir, 'log-level', 'auth', 'info');
    assert.equal(set.code, 0, set.err);
    assert.equal(set.out.trim(), 'auth: WARN -> INFO');
    assert.match((await cli(dir, 'log-level')).out, /^auth\s+INFO$/m);
    assert.equal((await cli(dir, 'log-level', 'auth', 'inherit')).out.trim(), 'auth: INFO -> inherit');
    const bad = await cli(dir, 'log-level', 'auth', 'loud');
    assert.equal(bad.code, 65);
    assert.match(bad.err, /level: must be one of TRACE/);
    assert.equal((await cli(dir, 'log-level', 'root', 'inherit')).code, 65);
    const half = await cli(dir, 'log-level', 'auth');
    assert.equal(half.code, 64, half.err);
  });

  it('lists the audit log, with @cli as the author of CLI changes', async () => {
    const r = await cli(dir, 'audit', 'list', '--json', '--limit', '200');
    assert.equal(r.code, 0);
    const records = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; author: string; tokenId: string | null });
    const created = records.filter((a) => a.action === 'token.created');
    assert.ok(created.length >= 3);
    assert.ok(created.every((a) => a.author === '@cli' && a.tokenId?.startsWith('tok_')));
    assert.ok(records.some((a) => a.action === 'settings.changed'));
  });
});
