import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditQueue } from '../src/audit/queue.js';
import { storeAuditWriter } from '../src/audit/writer.js';
import { verifyAuditChain } from '../src/audit/verify.js';
import type { AuditEvent } from '../src/domain/audit/audit.js';
import { silentLogger } from '../src/log/logger.js';
import { Metrics } from '../src/metrics/registry.js';
import { openDatabase } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { authEvent } from './support/audit-fixtures.js';

/** Queue events carry their own token and address (the writer tests' defaults otherwise). */
const event = (i: number): AuditEvent =>
  authEvent(i, { tokenId: 'tok_q', tokenDescription: 'q', sourceIp: '192.0.2.1', details: { i } });

async function setup(batchSize?: number) {
  const handle = await openDatabase({ url: ':memory:' });
  const store = Store.from(handle);
  const metrics = new Metrics('n1', false);
  const queue = new AuditQueue(
    storeAuditWriter(store),
    { capacity: 100_000, flushIntervalMs: 60_000, ...(batchSize ? { batchSize } : {}) },
    silentLogger,
    metrics,
  );
  const value = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
  return { handle, store, queue, value };
}

describe('audit queue batches', () => {
  it('writes several large batches in order, as one verifiable chain', async () => {
    const s = await setup();
    const n = s.queue.batchSize * 2 + 123;
    for (let i = 0; i < n; i++) s.queue.offer(event(i));
    await s.queue.flush();
    assert.equal(s.queue.size, 0);
    assert.equal(await s.store.audit.count(), n);
    const rows = await s.store.audit.chainRows(0, n);
    assert.deepEqual(
      rows.map((r) => r.summary),
      Array.from({ length: n }, (_, i) => `event ${i}`),
    );
    assert.equal((await verifyAuditChain(s.store)).ok, true);
    assert.equal(await s.value('tokengate_audit_events_written_total'), n);
    await s.handle.close();
  });

  it('splits a refused batch until the refused events stand alone, writing the rest in order', async () => {
    const s = await setup(64);
    const bad = new Set(['event 5', 'event 6', 'event 40']);
    let transactions = 0;
    const real = s.store.transaction.bind(s.store);
    s.store.transaction = ((fn: Parameters<Store['transaction']>[0]) =>
      real(async (tx) => {
        transactions++;
        const append = tx.audit.append.bind(tx.audit);
        tx.audit.append = async (events) => {
          if (events.some((e) => bad.has(e.summary))) throw new Error('value too long');
          return append(events);
        };
        return fn(tx);
      })) as Store['transaction'];
    for (let i = 0; i < 64; i++) s.queue.offer(event(i));
    await s.queue.flush();
    assert.equal(s.queue.size, 0);
    const written = (await s.store.audit.chainRows(0, 100)).map((r) => r.summary);
    assert.deepEqual(
      written,
      Array.from({ length: 64 }, (_, i) => `event ${i}`).filter((x) => !bad.has(x)),
    );
    assert.equal(await s.value('tokengate_audit_events_dropped_total'), 3);
    assert.equal(await s.value('tokengate_audit_events_written_total'), 61);
    // Halving: far fewer transactions than one per event.
    assert.ok(transactions < 40, `${transactions} transactions`);
    await s.handle.close();
  });
});
