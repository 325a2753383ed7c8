import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../src/store/database.js';

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

  it('opening an existing database waits for a lock SQLite itself does not wait for', async () => {
    // Another process's last connection takes the file's exclusive lock while it checkpoints and
    // deletes the WAL on close; a reader meets SQLITE_BUSY at once, without SQLite's busy handler.
    // A connection in exclusive locking mode holds that lock on purpose.
    const dir = mkdtempSync(join(tmpdir(), 'tg-locked-'));
    const file = join(dir, 'tokengate.db');
    try {
      await (await openDatabase({ url: file })).close();
      const holder = new SQLite(file);
      holder.pragma('locking_mode = EXCLUSIVE');
      holder.exec('begin exclusive; commit');
      const probe = new SQLite(file);
      assert.throws(() => probe.prepare('select 1 from sqlite_master').get(), { code: 'SQLITE_BUSY' });
      probe.close();
      const opening = openDatabase({ url: file, mustExist: true });
      await sleep(300);
      holder.close();
      const handle = await opening;
      await handle.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a lock held for longer than the wait, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-locked-'));
    const file = join(dir, 'tokengate.db');
    try {
      await (await openDatabase({ url: file })).close();
      const holder = new SQLite(file);
      holder.pragma('locking_mode = EXCLUSIVE');
      holder.exec('begin exclusive; commit');
      try {
        await assert.rejects(openDatabase({ url: file, mustExist: true }), (err: Error) => {
          assert.equal(err.name, 'DatabaseOpenError');
          assert.match(err.message, /cannot open the SQLite database .*tokengate\.db: database is locked/);
          return true;
        });
      } finally {
        holder.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
