import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { memorySink } from '../src/log/sinks.js';
import { startNode } from '../src/node.js';

/**
 * Issue 14, finding 12 (data part): the data directory and everything tokengate creates in it are
 * for the service user only, whatever the process umask: the directory 0700, the SQLite file, its
 * -wal and -shm, and tokengate.log 0600. A file or directory left wider by an older version is
 * tightened at start, with a WARN line that says so.
 */

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(3, '0');

describe('data directory permissions', () => {
  const parent = mkdtempSync(join(tmpdir(), 'tg-perm-'));
  const dataDir = join(parent, 'data');
  after(() => rmSync(parent, { recursive: true, force: true }));

  const start = async () => {
    const config = loadConfig(
      { dataDir, port: 0, host: '127.0.0.1', nodeId: 'perm-node' },
      { TOKENGATE_ADMIN_PASSWORD: 'admin-password-1' },
    );
    config.log.console = false;
    const sink = memorySink();
    const node = await startNode(config, { show: () => undefined, sinks: [sink], defaultMetrics: false });
    return { node, lines: sink.lines };
  };

  const files = () => ({
    dir: dataDir,
    db: join(dataDir, 'tokengate.db'),
    wal: join(dataDir, 'tokengate.db-wal'),
    shm: join(dataDir, 'tokengate.db-shm'),
    logs: join(dataDir, 'logs'),
    log: join(dataDir, 'logs', 'tokengate.log'),
  });

  it('creates the data directory 0700 and the database, -wal, -shm and log file 0600', async () => {
    const { node, lines } = await start();
    try {
      const f = files();
      assert.deepEqual(
        lines.filter((l) => /readable by others/.test(l)),
        [],
        'a fresh data directory needs no tightening',
      );
      for (const p of Object.values(f)) assert.ok(existsSync(p), `${p} exists`);
      assert.equal(mode(f.dir), '700', 'data directory');
      assert.equal(mode(f.logs), '700', 'log directory');
      assert.equal(mode(f.db), '600', 'tokengate.db');
      assert.equal(mode(f.wal), '600', 'tokengate.db-wal');
      assert.equal(mode(f.shm), '600', 'tokengate.db-shm');
      assert.equal(mode(f.log), '600', 'tokengate.log');
    } finally {
      await node.close();
    }
  });

  it('tightens a world-readable data directory, database and log file at start, with a WARN', async () => {
    const f = files();
    chmodSync(f.dir, 0o755);
    chmodSync(f.logs, 0o755);
    for (const p of [f.db, f.log]) chmodSync(p, 0o644);
    if (existsSync(f.wal)) chmodSync(f.wal, 0o644);
    const { node, lines } = await start();
    try {
      assert.equal(mode(f.dir), '700', 'data directory');
      assert.equal(mode(f.logs), '700', 'log directory');
      assert.equal(mode(f.db), '600', 'tokengate.db');
      assert.equal(mode(f.wal), '600', 'tokengate.db-wal');
      assert.equal(mode(f.shm), '600', 'tokengate.db-shm');
      assert.equal(mode(f.log), '600', 'tokengate.log');
      const warns = lines.filter((l) => / WARN /.test(l) && /readable by others/.test(l));
      for (const p of [f.dir, f.db, f.log])
        assert.ok(
          warns.some((l) => l.includes(p)),
          `a WARN names ${p}:\n${lines.join('')}`,
        );
    } finally {
      await node.close();
    }
  });
});
