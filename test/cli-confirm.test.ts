/**
 * Destructive commands (issue 19): `token revoke`, `user disable` and `user delete` ask on a terminal
 * and need `--yes` anywhere else. The terminal is a real pseudo-terminal from util-linux `script`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, binaryEnv, CHILD_TIMEOUT_MS, inProcessCli, installedCli } from './support/cli.js';

const ADMIN_PASSWORD = 'confirm-admin-password';
const cli = inProcessCli(ADMIN_PASSWORD);
const bin = installedCli(ADMIN_PASSWORD);

/** Single-quotes a word for sh. */
const sh = (w: string): string => `'${w.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the installed binary with stdin and stdout on a pseudo-terminal (`script`), typing `input`.
 * Returns the exit code and everything the terminal showed.
 */
function onTerminal(dir: string, args: string[], input: string): { code: number; screen: string } {
  const command = [process.execPath, BIN, '--data-dir', dir, ...args].map(sh).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    input,
    encoding: 'utf8',
    env: binaryEnv(ADMIN_PASSWORD),
    timeout: CHILD_TIMEOUT_MS,
  });
  assert.equal(r.error, undefined, 'util-linux script runs (apt-get install bsdutils)');
  return { code: r.status ?? -1, screen: r.stdout };
}

describe('tokengate destructive commands: confirmation', () => {
  let dir: string;
  const newToken = async (): Promise<string> => {
    const r = await cli(dir, 'token', 'create', '--user', 'alice', '--description', 'c', '-o', 'json');
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as { record: { id: string } }).record.id;
  };
  const statusOf = async (id: string): Promise<string | undefined> =>
    (
      JSON.parse((await cli(dir, 'token', 'list', '-o', 'json')).out) as Array<{ id: string; status: string }>
    ).find((t) => t.id === id)?.status;
  const userOf = async (name: string): Promise<{ disabled: boolean } | undefined> =>
    (
      JSON.parse((await cli(dir, 'user', 'list', '-o', 'json')).out) as Array<{
        username: string;
        disabled: boolean;
      }>
    ).find((u) => u.username === name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-confirm-'));
    assert.equal((await cli(dir, 'init')).code, 0);
    assert.equal((await cli(dir, 'user', 'add', 'alice')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('without a terminal, refuses without --yes (exit 64, saying to pass --yes) and changes nothing', async () => {
    const id = await newToken();
    for (const args of [
      ['token', 'revoke', id],
      ['user', 'disable', 'alice'],
      ['user', 'delete', 'alice'],
    ]) {
      const r = await cli(dir, ...args);
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /without --yes \(-y\)/);
      assert.equal(r.out, '');
    }
    // The installed binary with its streams on pipes is not on a terminal either.
    const piped = bin(dir, ['token', 'revoke', id], 'y\n');
    assert.equal(piped.code, 64, piped.err);
    assert.equal(await statusOf(id), 'active');
    assert.equal((await userOf('alice'))?.disabled, false);
  });

  it('with --yes or -y, goes ahead without asking', async () => {
    const id = await newToken();
    const r = await cli(dir, 'token', 'revoke', '-y', id);
    assert.equal(r.code, 0, r.err);
    assert.equal(await statusOf(id), 'revoked');
    assert.equal((await cli(dir, 'user', 'disable', 'alice', '--yes')).code, 0);
    assert.equal((await userOf('alice'))?.disabled, true);
    assert.equal((await cli(dir, 'user', 'enable', 'alice')).code, 0, 'enabling asks nothing');
  });

  it('on a terminal, asks: an answer other than y, or the end of input, cancels (exit 1); y goes ahead', async () => {
    const id = await newToken();
    // \x04 is Ctrl-D: the end of input.
    for (const answer of ['n\n', '\n', 'whatever\n', '\x04']) {
      const no = onTerminal(dir, ['token', 'revoke', id], answer);
      assert.match(no.screen, new RegExp(`Revoke token ${id}\\? It stops working at once\\. \\[y/N\\]`));
      assert.equal(no.code, 1, no.screen);
      assert.match(no.screen, /cancelled/);
      assert.equal(await statusOf(id), 'active');
    }
    const yes = onTerminal(dir, ['token', 'revoke', id], 'y\n');
    assert.equal(yes.code, 0, yes.screen);
    assert.match(yes.screen, new RegExp(`revoked ${id}`));
    assert.equal(await statusOf(id), 'revoked');

    assert.equal((await cli(dir, 'user', 'add', 'carol')).code, 0);
    const del = onTerminal(dir, ['user', 'delete', 'carol'], 'yes\n');
    assert.equal(del.code, 0, del.screen);
    assert.match(del.screen, /Delete user carol\?/);
    assert.equal(await userOf('carol'), undefined);
  });
});
