/**
 * Exit codes by class (issue 19): each class is produced by a real command, and the table in
 * docs/cli.md is the table in src/cli/exit-codes.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ERROR_CATALOGUE, type ErrorCode } from '../src/domain/errors.js';
import { EXIT_CODES, exitClassForCode } from '../src/cli/exit-codes.js';
import { toFailure } from '../src/cli/failure.js';
import { inProcessCli } from './support/cli.js';

const cli = inProcessCli('exit-codes-admin-password');

describe('tokengate exit codes by class', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-exit-'));
    assert.equal((await cli(dir, 'init')).code, 0);
    assert.equal((await cli(dir, 'user', 'add', 'alice')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('usage (64): an unknown option, a missing argument, an extra argument, a group without a subcommand', async () => {
    for (const args of [
      ['token', 'list', '--bogus'],
      ['token', 'revoke'],
      ['log-style', 'seed', 'more'],
      ['token'],
      ['frobnicate'],
      ['-o', 'yaml', 'token', 'list'],
    ]) {
      const r = await cli(dir, ...args);
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.out, '', args.join(' '));
    }
  });

  it('help and version exit 0', async () => {
    assert.equal((await cli(dir, '--help')).code, 0);
    assert.equal((await cli(dir, 'token', 'list', '--help')).code, 0);
    assert.equal((await cli(dir, '--version')).code, 0);
  });

  it('not found (66): an unknown token or user', async () => {
    const token = await cli(dir, 'token', 'rotate', 'tok_doesnotexist');
    assert.equal(token.code, 66, token.err);
    assert.match(token.err, /does not exist/);
    const user = await cli(dir, 'user', 'set', 'nobody', '--display-name', 'N');
    assert.equal(user.code, 66, user.err);
  });

  it('conflict (79): a user that exists, the last admin', async () => {
    const again = await cli(dir, 'user', 'add', 'alice');
    assert.equal(again.code, 79, again.err);
    assert.match(again.err, /already exists/);
    const last = await cli(dir, 'user', 'set', 'admin', '--no-groups');
    assert.equal(last.code, 79, last.err);
    assert.match(last.err, /last enabled member of the admin group/);
  });

  it('validation (65): a bad flag value, a setting that does not validate, a policy limit', async () => {
    for (const [args, message] of [
      [['token', 'create', '--user', 'alice', '--description', 'x', '--scope', 'admin'], /--scope/],
      [['settings', 'set', 'tokens.prefix', 'ACME'], /tokens\.prefix/],
      [['token', 'create', '--user', 'alice', '--description', 'x', '--expires', '4000d'], /maxValidityDays/],
      [['audit', 'list', '--limit', '0'], /--limit/],
    ] as Array<[string[], RegExp]>) {
      const r = await cli(dir, ...args);
      assert.equal(r.code, 65, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
  });

  it('unavailable (69): a database that cannot be reached', async () => {
    const r = await cli(dir, '--db', 'postgres://tg:pw@127.0.0.1:1/none', 'user', 'list');
    assert.equal(r.code, 69, r.err);
    assert.match(r.err, /cannot connect to the database/);
  });

  it('config (78): a config file with an unknown key; no database where one was expected', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'prot: 1\n');
    assert.equal((await cli(dir, '--config', file, 'user', 'list')).code, 78);
    assert.equal((await cli(join(dir, 'typo'), 'user', 'list')).code, 78);
  });

  it('permission (77) and internal (70): classed from what a command throws', () => {
    // The local CLI acts as @cli, an admin, so no local command is refused for permission; the class
    // is for a refusal the services report (and for a remote backend's 401 and 403).
    assert.equal(exitClassForCode('forbidden'), 'permission');
    assert.equal(exitClassForCode('unauthorized'), 'permission');
    assert.equal(toFailure(new TypeError('boom')).exitClass, 'internal');
    const listen = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), {
      syscall: 'listen',
      code: 'EACCES',
    });
    assert.equal(toFailure(listen).exitClass, 'permission');
  });

  it('every catalogue code has a class, and the expected one', () => {
    const expected: Record<string, keyof typeof EXIT_CODES> = {
      invalid_request: 'validation',
      policy_violation: 'validation',
      unauthorized: 'permission',
      forbidden: 'permission',
      not_found: 'notFound',
      conflict: 'conflict',
      request_timeout: 'unavailable',
      payload_too_large: 'validation',
      unsupported_media_type: 'validation',
      rate_limited: 'unavailable',
      internal: 'internal',
      bad_gateway: 'unavailable',
      unavailable: 'unavailable',
      gateway_timeout: 'unavailable',
    };
    for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
      const cls = exitClassForCode(code);
      assert.ok(cls in EXIT_CODES, code);
      if (expected[code] !== undefined) assert.equal(cls, expected[code], code);
    }
  });

  it('docs/cli.md lists every exit code with its class, and no other', () => {
    const doc = readFileSync(new URL('../docs/cli.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Exit codes'));
    const rows = [...section.matchAll(/^\| (\d+) +\| `([a-zA-Z]+)` +\|/gm)].map((m) => [Number(m[1]), m[2]]);
    assert.deepEqual(
      rows.sort((a, b) => Number(a[0]) - Number(b[0])),
      Object.entries(EXIT_CODES)
        .map(([cls, code]) => [code, cls])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
    );
  });
});
