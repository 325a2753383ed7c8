import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, installedCli } from './support/cli.js';

/** `tokengate serve` in a child process while the CLI changes its database from another. */

const ADMIN_PASSWORD = 'cli-admin-password';

/** Runs the installed binary in a child process. */
const bin = installedCli(ADMIN_PASSWORD);

describe('tokengate serve with the CLI alongside', () => {
  it('prints the generated admin password once, serves the API, and sees CLI changes within seconds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-serve-'));
    const env = { ...process.env };
    delete env.TOKENGATE_ADMIN_PASSWORD;
    const child = spawn(
      process.execPath,
      [BIN, '--data-dir', dir, 'serve', '--port', '0', '--admin-port', '0', '--host', '127.0.0.1'],
      { env },
    );
    try {
      let stderr = '';
      child.stderr.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
        child.stderr.on('data', (d: string) => {
          stderr += d;
          // The management API is on the admin listener, whose URL the web UI line gives.
          const m = /web UI: (http:\/\/[\d.]+:\d+)/.exec(stderr);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${stderr}`)));
      });
      const password = /password: (\S+)/.exec(stderr)?.[1];
      assert.ok(password && password.length >= 20, stderr);

      const me = await fetch(`${url}/_tokengate/api/v1/me`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
      });
      assert.equal(me.status, 200);

      // The CLI writes to the same database while the server runs.
      const created = bin(dir, [
        'token',
        'create',
        '--user',
        'admin',
        '--description',
        'cross-process',
        '--json',
      ]);
      assert.equal(created.code, 0, created.err);
      assert.ok(!created.err.includes('password:'), 'the password is printed only on first start');
      const { token, record } = JSON.parse(created.out) as { token: string; record: { id: string } };
      const use = () =>
        fetch(`${url}/_tokengate/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        );
      assert.equal(await use(), 200);
      assert.equal(bin(dir, ['token', 'revoke', '--yes', record.id]).code, 0);
      // The server caches the token; the change feed (polled every second) must evict it.
      let status = 200;
      for (let i = 0; i < 50 && status === 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await use();
      }
      assert.equal(status, 401, 'a token revoked through the CLI stops working on the running server');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
