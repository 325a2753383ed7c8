import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LogManager } from '../log/log-manager.js';
import { memorySink } from '../log/sinks.js';
import { AuditRetention } from './retention.js';
import { AnchorWriter, ANCHOR_LOGGER } from './anchors.js';

/**
 * Red team round two, F5: an admin token could PATCH log.levels to turn `audit.anchor` and `audit`
 * OFF, and the anchor lines operators ship off the machine stopped, as did the floor-held WARN.
 * These lines go through LogManager.unfiltered, which no level silences.
 */
describe('security lines ignore log.levels (red team F5)', () => {
  function logs() {
    const sink = memorySink();
    const manager = new LogManager({
      sinks: [sink],
      layout: (e) => `${e.level} [${e.logger}] ${e.message}\n`,
      thread: 'main',
    });
    // What `PATCH /admin/settings {"log.levels": …}` does.
    manager.setLevels({ '': 'OFF', audit: 'OFF', 'audit.anchor': 'OFF' });
    return { sink, manager };
  }

  it('writes the anchor line with audit.anchor OFF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-anchor-log-'));
    try {
      const { sink, manager } = logs();
      const w = new AnchorWriter({
        file: join(dir, 'anchors.jsonl'),
        intervalMs: 60_000,
        nodeId: 'n1',
        head: async () => ({ seq: 4, hash: 'a'.repeat(64), records: 4 }),
        log: manager.unfiltered(ANCHOR_LOGGER),
      });
      await w.anchor();
      assert.deepEqual(sink.lines, [
        `INFO [audit.anchor] audit chain head seq=4 hash=${'a'.repeat(64)} records=4\n`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the floor-held WARN with audit OFF', async () => {
    const { sink, manager } = logs();
    const retention = new AuditRetention(
      { purgeBatch: async () => ({ purged: 0, heldByFloor: 7 }) },
      { current: { 'audit.retentionDays': 30, 'audit.maxRows': 10 } } as never,
      manager.logger('audit'),
      () => 1_700_000_000_000,
      { floorDays: 90, nodeId: 'n1', floorLog: manager.unfiltered('audit') },
    );
    await retention.run();
    assert.equal(sink.lines.length, 1);
    assert.match(
      sink.lines[0] ?? '',
      /^WARN \[audit\] the audit log holds 7 record\(s\) more than audit.maxRows=10/,
    );
  });
});
