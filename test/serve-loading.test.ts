/**
 * What `tokengate serve` loads (issue 18): a single node on SQLite with the defaults loads neither the
 * PostgreSQL driver, nor Redis's client, nor the mailer. They are loaded when configured. Seen by a
 * module-loader hook in the installed binary's process, as in test/cli-loading.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { BIN, binaryEnv } from './support/cli.js';

const ADMIN_PASSWORD = 'serve-loading-admin-password';
const OPTIONAL = ['pg', 'ioredis', 'nodemailer'];

describe('tokengate serve: loads the optional drivers only when configured', () => {
  let probeDir: string;
  before(() => {
    probeDir = mkdtempSync(join(tmpdir(), 'tg-serve-probe-'));
    // Every ES module resolved (the hook), and at exit every CommonJS module in require's cache.
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
  after(() => rmSync(probeDir, { recursive: true, force: true }));

  /**
   * Starts the installed binary's `serve` on free loopback ports with a fresh data directory and the
   * config file `config` (when given), makes one request through the gateway, stops it with SIGTERM,
   * and returns the packages (node_modules/<name>) it loaded.
   */
  async function serveAndStop(name: string, config?: string): Promise<Set<string>> {
    const dir = mkdtempSync(join(tmpdir(), 'tg-serve-load-'));
    const out = join(probeDir, `${name}.txt`);
    const args = ['--import', pathToFileURL(join(probeDir, 'register.mjs')).href, BIN, '--data-dir', dir];
    if (config !== undefined) args.push('--config', config);
    args.push('serve', '--port', '0', '--admin-port', '0', '--host', '127.0.0.1');
    const child = spawn(process.execPath, args, { env: binaryEnv(ADMIN_PASSWORD, { TG_PROBE_OUT: out }) });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const gateway = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
        const check = (): void => {
          const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr);
          if (m?.[1] && stderr.includes('web UI: ')) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        };
        child.stderr.on('data', check);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`serve exited with ${String(code)}: ${stderr}`));
        });
      });
      const health = await fetch(`${gateway}/_tokengate/health`);
      assert.equal(health.status, 200);
      const hello = await fetch(`${gateway}/hello`);
      assert.equal(hello.status, 200, 'the demo upstream answers through the gateway');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    rmSync(dir, { recursive: true, force: true });
    const urls = readFileSync(out, 'utf8').split('\n');
    return new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
  }

  it('with the defaults (one node on SQLite), neither pg, ioredis nor nodemailer is loaded', async () => {
    const loaded = await serveAndStop('defaults');
    // The probe sees what serve does load: the server and the SQLite driver.
    for (const name of ['fastify', 'better-sqlite3', 'kysely'])
      assert.ok(loaded.has(name), `${name} was not loaded: ${[...loaded].join(', ')}`);
    for (const name of OPTIONAL) assert.ok(!loaded.has(name), `${name} was loaded`);
  });

  it('with notifications.smtp configured, nodemailer is loaded, and still neither pg nor ioredis', async () => {
    const config = join(probeDir, 'smtp.yaml');
    // Nothing listens there: the mailer is created at start and only connects when a notice is sent.
    writeFileSync(
      config,
      'notifications:\n  smtp:\n    host: 127.0.0.1\n    port: 1\n    from: tokengate@example.test\n',
    );
    const loaded = await serveAndStop('smtp', config);
    assert.ok(loaded.has('nodemailer'), [...loaded].join(', '));
    for (const name of ['pg', 'ioredis']) assert.ok(!loaded.has(name), `${name} was loaded`);
  });
});
