import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('..', import.meta.url).pathname;
const OPEN = `
const { openDatabase } = await import(${JSON.stringify(join(ROOT, 'src/store/database.ts'))});
const h = await openDatabase({ url: process.argv[1] });
await h.close();
`;

/** Opens (and so migrates) the SQLite file in a process of its own; resolves with its exit code and stderr. */
function openInChild(file: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', OPEN, file], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('SQLite migrations', () => {
  it('run once when several processes open a new database file at the same moment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-migrate-'));
    try {
      // Several rounds: the race needs two processes between "read the applied migrations" and "apply".
      for (let round = 0; round < 4; round++) {
        const file = join(dir, `race-${round}.db`);
        const results = await Promise.all(Array.from({ length: 4 }, () => openInChild(file)));
        for (const r of results) assert.equal(r.code, 0, r.stderr);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
