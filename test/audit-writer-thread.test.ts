import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { sql } from '../src/store/kysely.js';
import { AuditQueue } from '../src/audit/queue.js';
import { verifyAuditChain } from '../src/audit/verify.js';
import { openAuditWriter, ThreadAuditWriter, WRITER_GONE, type AuditWriter } from '../src/audit/writer.js';
import type { AuditEvent } from '../src/domain/audit/audit.js';
import { silentLogger } from '../src/log/logger.js';
import { Metrics } from '../src/metrics/registry.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { authEvent } from './support/audit-fixtures.js';

/**
 * The audit writer thread (src/audit/writer.ts): on a SQLite file, the queue's appends and the
 * retention purge run on a thread with a connection of its own, so the request thread never runs
 * them. What it must keep: one hash chain shared with the request thread's own audit writes, the
 * database's error codes (the queue tells "retry" from "refused" by them), and recovery when the
 * thread dies.
 */

const event = (i: number, ts = 1_800_000_000_000 + i): AuditEvent => authEvent(i, { ts });

const autocheckpoint = async (h: DatabaseHandle): Promise<number> =>
  Number(
    Object.values(
      (await sql<Record<string, unknown>>`pragma wal_autocheckpoint`.execute(h.db)).rows[0] ?? {},
    )[0],
  );

describe('the audit writer thread on a SQLite file', () => {
  let dir: string;
  let handle: DatabaseHandle;
  let store: Store;
  let writer: AuditWriter;
  const exits: Error[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-writer-'));
    handle = await openDatabase({ url: join(dir, 'audit.db') });
    store = Store.from(handle);
    writer = await openAuditWriter(handle, store, (err) => exits.push(err));
  });

  after(async () => {
    await writer.close();
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a thread for a file, the connection itself for :memory:', async () => {
    assert.ok(writer instanceof ThreadAuditWriter);
    const mem = await openDatabase({ url: ':memory:' });
    try {
      const w = await openAuditWriter(mem, Store.from(mem), () => undefined);
      assert.ok(!(w instanceof ThreadAuditWriter), ':memory: cannot be opened by a second connection');
      await w.close();
    } finally {
      await mem.close();
    }
  });

  it("leaves checkpoints to the thread while it runs: the request thread's connection does none on commit", async () => {
    assert.equal(await autocheckpoint(handle), 0);
  });

  it("shares one chain with the request thread's own writes, in the order each was given", async () => {
    const before = (await store.audit.head())?.seq ?? 0;
    // The thread and the request thread append at the same time; SQLite's write lock orders them.
    const mine = Array.from({ length: 20 }, (_, k) =>
      store.transaction((tx) => tx.audit.append([event(10_000 + k)])),
    );
    const theirs = Array.from({ length: 20 }, (_, k) =>
      writer.append(Array.from({ length: 250 }, (_, i) => event(k * 250 + i))),
    );
    await Promise.all([...mine, ...theirs]);
    const head = (await store.audit.head())?.seq ?? 0;
    assert.equal(head - before, 20 + 20 * 250);
    const verified = await verifyAuditChain(store);
    assert.equal(verified.ok, true, JSON.stringify(verified.problem));
    // The thread's events are in the order they were given, each batch in one piece.
    const rows = (await store.audit.search({ action: 'auth.success' }, 10_000)).reverse();
    const threadOrder = rows.map((r) => Number(r.summary.slice(6))).filter((n) => n < 10_000);
    assert.deepEqual(
      threadOrder,
      Array.from({ length: 5000 }, (_, i) => i),
    );
    assert.deepEqual(rows.find((r) => r.summary === 'event 42')?.details, { n: 42 });
  });

  it('purges on the thread and answers how many records went', async () => {
    const count = await store.audit.count();
    const n = await writer.purgeBatch({
      before: 0,
      floor: Number.MAX_SAFE_INTEGER,
      maxRows: count - 100,
      limit: 5_000,
      now: Date.now(),
      nodeId: 'n1',
      retentionDays: 1,
      floorDays: 0,
    });
    // 100 beyond maxRows, and one more for the purge record written with them.
    assert.deepEqual(n, { purged: 101, heldByFloor: 0 });
    assert.equal(await store.audit.count(), count - 100);
    assert.equal((await verifyAuditChain(store)).ok, true);
  });

  it("passes the database's error code back: a refused event is told from an outage", async () => {
    const bad = { ...event(1), category: null } as unknown as AuditEvent;
    await assert.rejects(writer.append([event(2), bad]), (err: Error & { code?: string }) => {
      assert.match(err.code ?? '', /^SQLITE_CONSTRAINT/);
      assert.match(err.message, /NOT NULL/);
      return true;
    });
    // The queue sets the refused event aside and writes the good one.
    const metrics = new Metrics('n1', false);
    const queue = new AuditQueue(writer, { capacity: 10, flushIntervalMs: 60_000 }, silentLogger, metrics);
    const before = await store.audit.count();
    queue.offer(event(3));
    queue.offer(bad);
    queue.offer(event(4));
    await queue.flush();
    assert.equal(await store.audit.count(), before + 2);
    assert.equal((await metrics.auditDropped.get()).values[0]?.value, 1);
  });

  it('when the thread dies, its calls fail as retryable, the queue keeps the events, and a new thread takes over', async () => {
    const thread = (writer as unknown as { worker: Worker | null }).worker;
    assert.ok(thread, 'the thread is running');
    const metrics = new Metrics('n1', false);
    const queue = new AuditQueue(writer, { capacity: 100, flushIntervalMs: 60_000 }, silentLogger, metrics);
    for (let i = 0; i < 5; i++) queue.offer(event(20_000 + i));
    const before = await store.audit.count();
    const pending = writer.append([event(30_000)]);
    await thread.terminate();
    await assert.rejects(pending, (err: Error & { code?: string }) => err.code === WRITER_GONE);
    assert.equal(exits.length, 1, 'the exit was reported');
    // Meanwhile the request thread checkpoints again by itself.
    assert.ok((await autocheckpoint(handle)) > 0);
    await queue.flush();
    assert.equal(queue.size, 0, 'the queued events were written by a new thread');
    assert.equal((await metrics.auditDropped.get()).values[0]?.value ?? 0, 0);
    const after = await store.audit.count();
    // The append in flight may or may not have committed before the thread stopped.
    assert.ok(after === before + 5 || after === before + 6, `${after - before} records written`);
    assert.equal(await autocheckpoint(handle), 0, 'the new thread checkpoints again');
    assert.equal((await verifyAuditChain(store)).ok, true);
  });

  it('close() lets the thread finish what it was given, then the request thread checkpoints again', async () => {
    const before = await store.audit.count();
    const last = writer.append(Array.from({ length: 3000 }, (_, i) => event(40_000 + i)));
    await writer.close();
    await last;
    assert.equal(await store.audit.count(), before + 3000);
    assert.ok((await autocheckpoint(handle)) > 0);
    await assert.rejects(
      writer.append([event(1)]),
      (err: Error & { code?: string }) => err.code === WRITER_GONE,
    );
  });
});
