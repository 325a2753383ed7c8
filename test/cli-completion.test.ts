/**
 * Short flags and `tokengate completion bash|zsh|fish` (issue 19). The scripts are generated from the
 * command tree; bash's is run through its completion function, zsh's and fish's through the shells
 * when they are installed (fish's own `complete -C`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProgram, runCli } from '../src/cli/main.js';
import { commandTree } from '../src/cli/completion.js';
import { inProcessCli } from './support/cli.js';

const cli = inProcessCli('completion-admin-password');

/** The completion script for a shell, written to a file. */
async function script(dir: string, shell: string): Promise<string> {
  let out = '';
  const code = await runCli(['completion', shell], { out: (t) => (out += `${t}\n`), err: () => undefined });
  assert.equal(code, 0);
  const file = join(dir, `tokengate.${shell}`);
  writeFileSync(file, out);
  return file;
}

function has(shell: string): boolean {
  return spawnSync(shell, ['-c', 'true']).status === 0;
}

/** Skips without the shell on a developer's machine; under CI=true (.ci/run installs it) fails instead. */
function shellNeeded(shell: string): string | false {
  if (has(shell)) return false;
  if (process.env.CI === 'true') return false; // the test runs and fails at its first spawn, naming the shell
  return `${shell} is not installed`;
}

function run(shell: string, args: string[]): string {
  const r = spawnSync(shell, args, { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.error ? `${shell}: ${r.error.message}` : r.stderr);
  return r.stdout;
}

/** What to type, and what must be offered. */
const CASES: Array<[string[], string[]]> = [
  [['tok'], ['token']],
  [['token', 'cr'], ['create']],
  [['token', 'create', '--us'], ['--user']],
  [['token', 'create', '-u', 'alice', '--de'], ['--description']],
  [
    ['--data-dir', '/tmp', 'token', ''],
    ['create', 'list', 'revoke', 'rotate'],
  ],
  [
    ['-o', ''],
    ['json', 'table'],
  ],
  [['token', 'list', '-o', 'j'], ['json']],
  [
    ['completion', ''],
    ['bash', 'fish', 'zsh'],
  ],
  [['audit', 'list', '--cat'], ['--category']],
];

describe('tokengate short flags and completion', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-cli-compl-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('no command has a flag twice, counting the global ones it accepts', () => {
    const program = buildProgram({ out: () => undefined, err: () => undefined });
    for (const node of commandTree(program)) {
      const flags = node.options.flatMap((o) => o.flags);
      assert.deepEqual(
        flags.filter((f, i) => flags.indexOf(f) !== i),
        [],
        `tokengate ${node.path}`,
      );
    }
  });

  it('the short flags work: -u -d -s -e on token create, -n -c -u on audit list, -g -e on user add', async () => {
    const data = join(dir, 'data');
    assert.equal((await cli(data, 'init')).code, 0);
    const add = await cli(
      data,
      'user',
      'add',
      'alice',
      '-g',
      'dev',
      '-e',
      'alice@example.test',
      '-o',
      'json',
    );
    assert.equal(add.code, 0, add.err);
    assert.deepEqual((JSON.parse(add.out) as { groups: string[] }).groups, ['dev']);
    const made = await cli(
      data,
      'token',
      'create',
      '-u',
      'alice',
      '-d',
      'short',
      '-s',
      'write',
      '-e',
      '30d',
      '-o',
      'json',
    );
    assert.equal(made.code, 0, made.err);
    const record = (JSON.parse(made.out) as { record: { user: string; scope: string; description: string } })
      .record;
    assert.deepEqual([record.user, record.scope, record.description], ['alice', 'write', 'short']);
    const listed = await cli(data, 'audit', 'list', '-n', '1', '-c', 'tokens', '-u', 'alice', '-o', 'json');
    assert.equal(listed.code, 0, listed.err);
    assert.equal((JSON.parse(listed.out) as Array<{ action: string }>)[0]?.action, 'token.created');
  });

  it('bash: the completion function completes commands, subcommands, options and choices', async () => {
    const file = await script(dir, 'bash');
    for (const [words, expected] of CASES) {
      const all = ['tokengate', ...words];
      const out = run('bash', [
        '-c',
        `source ${file}; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _tokengate; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        ...all,
      ]);
      assert.deepEqual(out.split('\n').filter(Boolean).sort(), expected, all.join(' '));
    }
    // compgen against the registered function: what `complete -p` shows is what bash will call.
    assert.match(run('bash', ['-c', `source ${file}; complete -p tokengate`]), /-F _tokengate tokengate/);
  });

  it(
    'zsh: the script parses and its function offers the same words',
    { skip: shellNeeded('zsh') },
    async () => {
      const file = await script(dir, 'zsh');
      run('zsh', ['-n', file]);
      for (const [words, expected] of CASES) {
        // compadd filters by the word under the cursor itself; the stand-in does the same.
        const out = run('zsh', [
          '-f',
          '-c',
          `compdef() { :; }
compadd() { [[ $1 == -- ]] && shift; local w; for w in "$@"; do [[ $w == \${words[CURRENT]}* ]] && print -r -- $w; done; }
source ${file}; words=("$@"); CURRENT=\${#words}; _tokengate; :`,
          'zsh',
          'tokengate',
          ...words,
        ]);
        assert.deepEqual(out.split('\n').filter(Boolean).sort(), expected, words.join(' '));
      }
    },
  );

  it(
    'fish: the script parses and complete -C offers the same words',
    { skip: shellNeeded('fish') },
    async () => {
      const file = await script(dir, 'fish');
      run('fish', ['-n', file]);
      for (const [words, expected] of CASES) {
        const line = ['tokengate', ...words].join(' ');
        const out = run('fish', ['-c', `source ${file}; complete -C $argv[1]`, line]);
        const offered = out
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0] ?? '');
        assert.deepEqual(offered.sort(), expected, line);
      }
    },
  );

  it('refuses an unknown shell as a usage error', async () => {
    const r = await runCli(['completion', 'powershell'], { out: () => undefined, err: () => undefined });
    assert.equal(r, 64);
  });
});
