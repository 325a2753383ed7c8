import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditQueue } from '../src/audit/queue.js';
import { storeAuditWriter } from '../src/audit/writer.js';
import type { AuditEvent } from '../src/domain/audit/audit.js';
import { memorySink } from '../src/log/sinks.js';
import { LogManager } from '../src/log/log-manager.js';
import { compileLayout, DEFAULT_PATTERN } from '../src/log/layout.js';
import { Metrics } from '../src/metrics/registry.js';
import { openDatabase } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { authEvent } from './support/audit-fixtures.js';

/** Queue events carry their own token and address (the writer tests' defaults otherwise). */
const event = (i: number): AuditEvent =>
  authEvent(i, { tokenId: 'tok_q', tokenDescription: 'q', sourceIp: '192.0.2.1', details: null });

async function setup(capacity: number) {
  const handle = await openDatabase({ url: ':memory:' });
  const store = Store.from(handle);
  const sink = memorySink();
  const logs = new LogManager({ sinks: [sink], layout: compileLayout(DEFAULT_PATTERN), thread: 't' });
  const metrics = new Metrics('n1', false);
  let clock = 0;
  const queue = new AuditQueue(
    storeAuditWriter(store),
    { capacity, flushIntervalMs: 60_000, batchSize: 2 },
    logs.logger('audit'),
    metrics,
    () => clock,
  );
  const value = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
  return { handle, store, sink, logs, metrics, queue, value, advance: (ms: number) => (clock += ms) };
}

describe('audit queue', () => {
  it('writes queued events in batches, in order, on flush', async () => {
    const s = await setup(100);
    for (let i = 0; i < 5; i++) assert.equal(s.queue.offer(event(i)), true);
    assert.equal(s.queue.size, 5);
    assert.equal(await s.store.audit.count(), 0, 'nothing is written on the request path');
    await s.queue.flush();
    assert.equal(s.queue.size, 0);
    const rows = (await s.store.audit.search({}, 10)).reverse();
    assert.deepEqual(
      rows.map((r) => r.summary),
      ['event 0', 'event 1', 'event 2', 'event 3', 'event 4'],
    );
    assert.equal(await s.value('tokengate_audit_events_written_total'), 5);
    await s.handle.close();
  });

  it('drops new events when full, counts them, and logs at most once per interval', async () => {
    const s = await setup(3);
    const accepted = [0, 1, 2, 3, 4, 5].map((i) => s.queue.offer(event(i)));
    assert.deepEqual(accepted, [true, true, true, false, false, false]);
    assert.equal(await s.value('tokengate_audit_events_dropped_total'), 3);
    await s.logs.flush();
    assert.equal(s.sink.lines.filter((l) => l.includes('audit queue full')).length, 1);
    s.advance(10_000);
    s.queue.offer(event(6));
    await s.logs.flush();
    assert.equal(s.sink.lines.filter((l) => l.includes('audit queue full')).length, 2);
    await s.queue.flush();
    assert.deepEqual(
      (await s.store.audit.search({}, 10)).reverse().map((r) => r.summary),
      ['event 0', 'event 1', 'event 2'],
    );
    await s.handle.close();
  });

  it('keeps a batch that failed to write and writes it on the next flush', async () => {
    const s = await setup(100);
    s.queue.offer(event(1));
    s.queue.offer(event(2));
    const real = s.store.transaction.bind(s.store);
    let fail = true;
    s.store.transaction = ((fn: Parameters<Store['transaction']>[0]) => {
      if (fail)
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      return real(fn);
    }) as Store['transaction'];
    await s.queue.flush();
    assert.equal(s.queue.size, 2);
    assert.equal(await s.value('tokengate_audit_flush_failures_total'), 1);
    fail = false;
    s.queue.offer(event(3));
    await s.queue.flush();
    assert.deepEqual(
      (await s.store.audit.search({}, 10)).reverse().map((r) => r.summary),
      ['event 1', 'event 2', 'event 3'],
    );
    await s.handle.close();
  });

  it('sets aside an event the database refuses, and writes the rest of its batch', async () => {
    const s = await setup(100);
    const real = s.store.transaction.bind(s.store);
    s.store.transaction = ((fn: Parameters<Store['transaction']>[0]) =>
      real(async (tx) => {
        const append = tx.audit.append.bind(tx.audit);
        tx.audit.append = async (events) => {
          if (events.some((e) => e.summary === 'event 2'))
            throw new Error('value too long for type character varying(64)');
          return append(events);
        };
        return fn(tx);
      })) as Store['transaction'];
    for (let i = 0; i < 4; i++) s.queue.offer(event(i));
    await s.queue.flush();
    assert.equal(s.queue.size, 0, 'no endless retry of a poisoned batch');
    assert.deepEqual(
      (await s.store.audit.search({}, 10)).reverse().map((r) => r.summary),
      ['event 0', 'event 1', 'event 3'],
    );
    assert.equal(await s.value('tokengate_audit_events_dropped_total'), 1);
    await s.handle.close();
  });

  it('flushes everything on stop', async () => {
    const s = await setup(100);
    s.queue.start();
    for (let i = 0; i < 7; i++) s.queue.offer(event(i));
    await s.queue.stop();
    assert.equal(await s.store.audit.count(), 7);
    await s.handle.close();
  });
});
