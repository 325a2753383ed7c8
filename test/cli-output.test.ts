/**
 * `-o json|table` (issue 19): the same for every command, one JSON document per command (a list is an
 * array, one thing an object), errors as JSON on stderr, and the deprecated `--json`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inProcessCli } from './support/cli.js';

const cli = inProcessCli('output-admin-password');

/** stdout parsed as one JSON document (JSON.parse refuses JSON lines of several records). */
function json(out: string): unknown {
  return JSON.parse(out) as unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

describe('tokengate -o json|table', () => {
  let dir: string;
  let tokenId: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-out-'));
    const init = await cli(dir, '-o', 'json', 'init');
    assert.equal(init.code, 0, init.err);
    assert.deepEqual(Object.keys(json(init.out) as object), ['created', 'location']);
    assert.equal(await cli(dir, 'user', 'add', 'alice').then((r) => r.code), 0);
    const made = await cli(dir, 'token', 'create', '--user', 'alice', '--description', 'out', '-o', 'json');
    assert.equal(made.code, 0, made.err);
    const body = json(made.out) as { token: string; record: { id: string } };
    assert.match(body.token, /^tgp_/);
    tokenId = body.record.id;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints every list as one JSON array, before or after the command name', async () => {
    for (const args of [
      ['token', 'list', '-o', 'json'],
      ['-o', 'json', 'token', 'list'],
      ['token', 'list', '--output=json'],
      ['user', 'list', '--output', 'json'],
      ['audit', 'list', '-ojson', '--limit', '3'],
      ['cluster', 'status', '-o', 'json'],
    ]) {
      const r = await cli(dir, ...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      assert.ok(Array.isArray(json(r.out)), args.join(' '));
      assert.equal(r.err, '', args.join(' '));
    }
    const audit = json((await cli(dir, 'audit', 'list', '-o', 'json', '--limit', '3')).out) as unknown[];
    assert.equal(audit.length, 3);
  });

  it('prints one thing, a change or a verdict as one JSON object', async () => {
    for (const args of [
      ['settings', 'get', '-o', 'json'],
      ['log-level', '-o', 'json'],
      ['log-level', 'auth', 'info', '-o', 'json'],
      ['log-style', '-o', 'json'],
      ['settings', 'set', 'tokens.maxPerUser', '11', '-o', 'json'],
      ['user', 'add', 'bob', '-o', 'json'],
      ['user', 'set', 'bob', '--display-name', 'Bob', '-o', 'json'],
      ['audit', 'verify', '-o', 'json'],
      ['token', 'rotate', tokenId, '-o', 'json'],
    ]) {
      const r = await cli(dir, ...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      assert.ok(isObject(json(r.out)), `${args.join(' ')}: ${r.out}`);
    }
    const change = json((await cli(dir, 'settings', 'set', 'tokens.maxPerUser', '12', '-o', 'json')).out);
    assert.deepEqual(change, { key: 'tokens.maxPerUser', old: 11, new: 12 });
    const level = json((await cli(dir, 'log-level', 'auth', 'inherit', '-o', 'json')).out);
    assert.deepEqual(level, { logger: 'auth', old: 'INFO', new: null });
    const verdict = json((await cli(dir, 'audit', 'verify', '-o', 'json')).out) as { ok: boolean };
    assert.equal(verdict.ok, true);
    const user = json((await cli(dir, 'user', 'set', 'bob', '--email', 'b@example.test', '-o', 'json')).out);
    assert.equal((user as { email: string }).email, 'b@example.test');
    // One setting is its value as JSON in either format.
    assert.equal((await cli(dir, 'settings', 'get', 'tokens.maxPerUser', '-o', 'json')).out, '12\n');
    assert.equal((await cli(dir, 'settings', 'get', 'tokens.maxPerUser')).out, '12\n');
  });

  it('prints tables by default and with -o table', async () => {
    for (const args of [
      ['token', 'list'],
      ['token', 'list', '-o', 'table'],
      ['user', 'list'],
    ]) {
      const r = await cli(dir, ...args);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^(ID|USERNAME) /, args.join(' '));
    }
  });

  it('keeps --json as a deprecated alias: the same output, a note on stderr', async () => {
    const viaAlias = await cli(dir, 'user', 'list', '--json');
    const viaOutput = await cli(dir, 'user', 'list', '-o', 'json');
    assert.equal(viaAlias.out, viaOutput.out);
    assert.match(viaAlias.err, /--json is deprecated; use -o json/);
    // audit list --json keeps its JSON lines (scripts read them line by line); -o json is an array.
    const lines = (await cli(dir, 'audit', 'list', '--json', '--limit', '2')).out.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines) assert.ok(isObject(JSON.parse(l)));
  });

  it('with -o json, errors are one JSON object on stderr, nothing on stdout', async () => {
    for (const [args, code, exit] of [
      [['token', 'list', '--bogus', '-o', 'json'], 'usage', 64],
      [['-o', 'json', 'token'], 'usage', 64],
      [['-o', 'json', 'token', 'rotate', 'tok_nope'], 'not_found', 66],
      [['-o', 'json', 'user', 'add', 'alice'], 'conflict', 79],
      [['-o', 'json', 'token', 'list', '--status', 'gone'], 'invalid_request', 65],
      [['--data-dir', join(dir, 'typo'), '-o', 'json', 'token', 'list'], 'config', 78],
    ] as Array<[string[], string, number]>) {
      const r = await cli(dir, ...args);
      assert.equal(r.code, exit, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.out, '', args.join(' '));
      const lines = r.err.trim().split('\n');
      assert.equal(lines.length, 1, `one line on stderr for ${args.join(' ')}: ${r.err}`);
      const body = JSON.parse(lines[0] ?? '') as { error: { code: string; message: string } };
      assert.equal(body.error.code, code, args.join(' '));
      assert.ok(body.error.message.length > 0);
    }
    const bad = await cli(dir, '-o', 'json', 'token', 'list', '--status', 'gone');
    const body = JSON.parse(bad.err) as { error: { details: Array<{ field: string }> } };
    assert.deepEqual(
      body.error.details.map((d) => d.field),
      ['--status'],
    );
  });

  it('without -o json, an error is one line naming the problem', async () => {
    const r = await cli(dir, 'token', 'rotate', 'tok_nope');
    assert.equal(r.code, 66);
    assert.equal(r.err, 'tokengate: token tok_nope does not exist\n');
  });
});
