#!/usr/bin/env node
// Runs every test file with node's own test runner. Node 20's --test does not expand quoted globs,
// so this finds the files itself: *.test.ts beside the code in src/, and the suites in test/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function find(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...find(path));
    else if (entry.name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

// The CLI tests run the installed binary, which runs the compiled code: build it first, so the tests
// never exercise a stale dist/.
const build = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (build.status !== 0) process.exit(build.status ?? 1);

// `npm test -- test/api.test.ts` runs only the files given.
const only = process.argv.slice(2);
const files = only.length > 0 ? only : [...find(join(root, 'src')), ...find(join(root, 'test'))].sort();
// Every secret the tests issue and every log, audit record, error body and metrics text they make
// are collected here (test/support/artifacts.ts), then scanned: no secret may appear in any of them.
const artifacts = mkdtempSync(join(tmpdir(), 'tokengate-test-artifacts-'));
// Node 20's runner bounds each file by --test-timeout too. These files build and install things
// (the npm package: tsc, vite and a native compile of better-sqlite3), so they run afterwards with a
// longer bound; everything else keeps 120 s, so that a hang still shows soon.
const SLOW = new Set(['test/package-install.test.ts']);
const run = (list, timeoutMs) =>
  list.length === 0
    ? { status: 0 }
    : spawnSync(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-timeout=${timeoutMs}`, ...list],
        { cwd: root, stdio: 'inherit', env: { ...process.env, TOKENGATE_TEST_ARTIFACTS: artifacts } },
      );
const quick = run(
  files.filter((f) => !SLOW.has(f)),
  120_000,
);
const slow = run(
  files.filter((f) => SLOW.has(f)),
  900_000,
);
// A run killed by a signal has no status: that is a failure too.
const statusOf = (r) => (r.status === null ? 1 : r.status);
const result = { status: statusOf(quick) || statusOf(slow) };
const scan = spawnSync(
  process.execPath,
  [join(root, 'scripts/scan-secrets.mjs'), artifacts, ...(only.length > 0 ? ['--partial'] : [])],
  { cwd: root, stdio: 'inherit' },
);
// Kept when the scan fails, to see where the secret is (the scan prints the file and its source).
if (scan.status === 0) rmSync(artifacts, { recursive: true, force: true });
else console.error(`secrets scan: the artifacts are kept in ${artifacts}`);
process.exit(result.status || scan.status || 0);
