import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const BIN = new URL('../bin/tokengate.js', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('serve --workers', () => {
  it('runs N processes on one port, each a node of its own, and stops them all on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-workers-'));
    const port = await freePort();
    const env = { ...process.env, TOKENGATE_ADMIN_PASSWORD: 'workers-password-1' };
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--data-dir',
        dir,
        'serve',
        '--port',
        String(port),
        '--admin-port',
        String(await freePort()),
        '--host',
        '127.0.0.1',
        '--workers',
        '2',
      ],
      { env },
    );
    try {
      let live: Array<{ id: string; live: boolean }> = [];
      for (let i = 0; i < 100 && live.filter((n) => n.live).length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const r = spawnSync(process.execPath, [BIN, '--data-dir', dir, 'cluster', 'status', '--json'], {
          env,
          encoding: 'utf8',
          timeout: 30_000,
        });
        if (r.status === 0 && r.stdout.trim().startsWith('['))
          live = JSON.parse(r.stdout) as Array<{ id: string; live: boolean }>;
      }
      assert.deepEqual(live.map((n) => n.id.replace(/^.*\//, '')).sort(), ['w1', 'w2']);
      // A node reports itself live once its runtime started, a moment before its server listens.
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`http://127.0.0.1:${port}/_tokengate/health`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const statuses = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(`http://127.0.0.1:${port}/_tokengate/health`).then((r) => r.status),
        ),
      );
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const after = spawnSync(process.execPath, [BIN, '--data-dir', dir, 'cluster', 'status', '--json'], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(after.stdout || '[]'), [], 'workers remove themselves on a clean shutdown');
    rmSync(dir, { recursive: true, force: true });
  });
});
