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
    await withLockedDatabase(async (file, holder) => {
      const probe = new SQLite(file);
      assert.throws(() => probe.prepare('select 1 from sqlite_master').get(), { code: 'SQLITE_BUSY' });
      probe.close();
      const opening = openDatabase({ url: file, mustExist: true });
      await sleep(300);
      holder.close();
      await (await opening).close();
    });
  });

  it('gives up on a lock held for longer than the wait, naming the file', async () => {
    await withLockedDatabase(async (file) => {
      await assert.rejects(openDatabase({ url: file, mustExist: true }), (err: Error) => {
        assert.equal(err.name, 'DatabaseOpenError');
        assert.match(err.message, /cannot open the SQLite database .*tokengate\.db: database is locked/);
        return true;
      });
    });
  });
});

/**
 * Runs `body` on a tokengate database whose file lock another connection holds. Another process's
 * last connection takes that exclusive lock while it checkpoints and deletes the WAL on close, and a
 * reader then meets SQLITE_BUSY at once, without SQLite's busy handler; a connection in exclusive
 * locking mode holds it on purpose. `body` may close the holder early (closing twice is harmless).
 */
async function withLockedDatabase(
  body: (file: string, holder: SQLite.Database) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-locked-'));
  const file = join(dir, 'tokengate.db');
  try {
    await (await openDatabase({ url: file })).close();
    const holder = new SQLite(file);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('begin exclusive; commit');
    try {
      await body(file, holder);
    } finally {
      holder.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
