/**
 * The npm package works on its own (issue 18): `npm pack` of this checkout, installed globally into an
 * empty prefix outside the repository (dependencies from the registry), runs `tokengate serve` with
 * the demo upstream, `tokengate token create` makes a token, and a request through the gateway with it
 * reaches the upstream as its owner. It needs npm and the registry; it fails, never skips, without them.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = new URL('..', import.meta.url).pathname;
const ADMIN_PASSWORD = 'package-install-admin-password';
/** npm pack builds dist/ and web/dist (prepare); the install may compile better-sqlite3. */
const STEP_TIMEOUT_MS = 600_000;

/** The machine's npm, run with the node running this test first on PATH. */
function npm(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the npm package, installed from its tarball', { timeout: 3 * STEP_TIMEOUT_MS }, () => {
  let work: string;
  let prefix: string;
  let bin: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'tg-package-'));
    prefix = join(work, 'prefix');
    mkdirSync(prefix);
    bin = join(prefix, 'bin', 'tokengate');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  // Each test names its timeout: npm test's --test-timeout (120 s) would apply otherwise.
  it(
    'npm pack makes a tarball with the built server and UI, and no sources or tests',
    { timeout: 2 * STEP_TIMEOUT_MS },
    () => {
      // A compiled module whose source is gone (tsc never deletes): prepack must leave it out.
      const orphan = join(ROOT, 'dist', 'zz-removed-module.js');
      writeFileSync(orphan, 'export {};\n');
      const packed = npm(['pack', '--json', '--pack-destination', work], ROOT);
      assert.equal(packed.status, 0, packed.stderr);
      assert.ok(!existsSync(orphan), 'prepack left a compiled file without a source in dist/');
      const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
        filename: string;
        files: { path: string }[];
      }[];
      assert.ok(info);
      const paths = info.files.map((f) => f.path);
      for (const needed of ['package.json', 'bin/tokengate.js', 'dist/cli/main.js', 'web/dist/index.html'])
        assert.ok(paths.includes(needed), `${needed} is not in the package`);
      const stray = paths.filter((p) => /^(src|test|scripts|\.ci)\//.test(p) || p.endsWith('.test.js'));
      assert.deepEqual(stray, [], 'sources, tests and CI scripts stay out of the package');
      const orphans = paths.filter(
        (p) => /^dist\/.*\.js$/.test(p) && !existsSync(join(ROOT, 'src', p.slice(5).replace(/\.js$/, '.ts'))),
      );
      assert.deepEqual(orphans, [], 'every compiled file in the package has its source');
      const installed = npm(['install', '-g', '--prefix', prefix, join(work, info.filename)], work);
      assert.equal(installed.status, 0, installed.stderr);
      assert.ok(existsSync(bin), `${bin} was not installed`);
      // Runtime dependencies only: no compiler, bundler or test tool came along.
      const modules = join(prefix, 'lib', 'node_modules');
      for (const dev of ['typescript', 'vite', 'tsx', 'eslint'])
        assert.ok(
          !existsSync(join(modules, dev)) && !existsSync(join(modules, 'tokengate', 'node_modules', dev)),
          `${dev} was installed`,
        );
    },
  );

  it(
    'the installed tokengate serves, creates a token, proxies with it, and stops cleanly on SIGTERM',
    { timeout: 180_000 },
    async () => {
      assert.ok(existsSync(bin), 'the package was not installed (see the test before)');
      const data = join(work, 'data');
      const env = { ...process.env, TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD };
      // Run from the empty work directory, so nothing of the checkout can be picked up.
      const child = spawn(
        bin,
        ['--data-dir', data, 'serve', '--port', '0', '--admin-port', '0', '--host', '127.0.0.1'],
        { cwd: work, env },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const [gateway, admin] = await new Promise<[string, string]>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
          child.stderr.on('data', () => {
            const g = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr)?.[1];
            const a = /web UI: (http:\/\/[\d.]+:\d+)/.exec(stderr)?.[1];
            if (g && a) {
              clearTimeout(timer);
              resolve([g, a]);
            }
          });
          void exited.then((code) => {
            clearTimeout(timer);
            reject(new Error(`serve exited with ${String(code)}: ${stderr}`));
          });
        });
        const ui = await fetch(`${admin}/_tokengate/`);
        assert.equal(ui.status, 200, 'the web UI is in the package');
        assert.match(await ui.text(), /<html/i);

        const created = spawnSync(
          bin,
          ['--data-dir', data, 'token', 'create', '--user', 'admin', '--description', 'package', '--json'],
          { cwd: work, env, encoding: 'utf8', timeout: 60_000 },
        );
        assert.equal(created.status, 0, created.stderr);
        const { token } = JSON.parse(created.stdout) as { token: string };

        const hello = await fetch(`${gateway}/hello`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(hello.status, 200);
        const echoed = (await hello.json()) as { authenticatedUser: string | null };
        assert.equal(echoed.authenticatedUser, 'admin');
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0, `serve did not exit cleanly on SIGTERM: ${stderr}`);
    },
  );
});
