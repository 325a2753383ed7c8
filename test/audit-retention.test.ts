import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditRetention } from '../src/audit/retention.js';
import { storeAuditWriter } from '../src/audit/writer.js';
import { verifyAuditChain } from '../src/audit/verify.js';
import { silentLogger } from '../src/log/logger.js';
import type { AuditEvent } from '../src/domain/audit/audit.js';
import type { Config } from '../src/config/config.js';
import { startTestNode } from './support/node.js';

const DAY = 86_400_000;

/** These tests are about retentionDays and maxRows themselves: no floor (test/audit-tamper.test.ts has one). */
const floorless = (c: Config): void => {
  c.audit.retentionFloorDays = 0;
};

function old(i: number, ts: number): AuditEvent {
  return {
    ts,
    category: 'authentication',
    action: 'auth.success',
    summary: `old ${i}`,
    author: 'ann',
    affectedUser: 'ann',
    tokenId: null,
    tokenDescription: null,
    sourceIp: '192.0.2.1',
    proxyIp: null,
    nodeId: 'test-node',
    requestId: null,
    method: 'GET',
    endpoint: '/x',
    outcome: 'success',
    details: null,
  };
}

describe('audit retention', () => {
  it('purges records older than audit.retentionDays in batches, and the chain still verifies', async () => {
    const t = await startTestNode(null, floorless);
    try {
      const store = t.node.ctx.store;
      const now = Date.now();
      await t.settings({ 'audit.retentionDays': 20 });
      // 2,500 records 10 days old (more than two purge batches), then 20 fresh ones.
      for (let b = 0; b < 5; b++) {
        await store.transaction((tx) =>
          tx.audit.append(Array.from({ length: 500 }, (_, i) => old(b * 500 + i, now - 10 * DAY))),
        );
      }
      // Records are purged oldest first by sequence (the chain can only lose a prefix), so the
      // clock moves forward instead of the records back: "fresh" ones are dated 15 days ahead.
      await store.transaction((tx) =>
        tx.audit.append(Array.from({ length: 20 }, (_, i) => old(9000 + i, now + 15 * DAY))),
      );
      const before = await store.audit.count();
      const later = new AuditRetention(
        storeAuditWriter(store),
        t.node.ctx.settings,
        silentLogger,
        () => now + 30 * DAY,
        { floorDays: 0, nodeId: 'test-node' },
      );
      const purged = await later.run();
      assert.ok(purged >= 2500, `purged ${purged}`);
      const left = await store.audit.search({}, 10_000);
      const purges = left.filter((r) => r.action === 'audit.purged');
      assert.ok(purges.length >= 1, 'each purge batch left its record');
      assert.equal(left.length, before - purged + purges.length);
      assert.ok(
        left.every((r) => r.ts >= now + 10 * DAY),
        'only records within the retention are left',
      );
      assert.equal(left.length - purges.length, 20, 'the 20 fresh records');
      const v = await verifyAuditChain(store);
      assert.equal(v.ok, true, JSON.stringify(v.problem));
      assert.ok(v.fromSeq >= 2500, 'verification continues from the checkpoint');
      // A second pass has nothing to do.
      assert.equal(await later.run(), 0);
    } finally {
      await t.close();
    }
  });

  it('keeps at most audit.maxRows records, oldest purged first', async () => {
    const t = await startTestNode(null, floorless);
    try {
      const store = t.node.ctx.store;
      await store.transaction((tx) =>
        tx.audit.append(Array.from({ length: 1500 }, (_, i) => old(i, Date.now()))),
      );
      await t.settings({ 'audit.maxRows': 1000 });
      await t.node.runtime.retention.run();
      assert.equal(await store.audit.count(), 1000);
      const oldest = (await store.audit.search({}, 10_000)).at(-1);
      assert.ok(oldest && oldest.seq > 500);
      assert.equal((await verifyAuditChain(store)).ok, true);
    } finally {
      await t.close();
    }
  });

  it('purges at once on a running node when an administrator lowers audit.maxRows', async () => {
    const t = await startTestNode(null, floorless);
    try {
      const store = t.node.ctx.store;
      const now = Date.now();
      for (let b = 0; b < 3; b++) {
        await store.transaction((tx) =>
          tx.audit.append(Array.from({ length: 500 }, (_, i) => old(b * 500 + i, now))),
        );
      }
      assert.ok((await store.audit.count()) >= 1500);
      // The scheduled run is an hour away: only the settings change can start this purge.
      await t.settings({ 'audit.maxRows': 1000 });
      let left = await store.audit.count();
      for (let i = 0; i < 100 && left > 1000; i++) {
        await new Promise((r) => setTimeout(r, 50));
        left = await store.audit.count();
      }
      assert.ok(left <= 1000, `${left} records left`);
      const v = await verifyAuditChain(store);
      assert.equal(v.ok, true, JSON.stringify(v.problem));
    } finally {
      await t.close();
    }
  });
});
