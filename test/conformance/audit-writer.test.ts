import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAuditChain } from '../../src/audit/verify.js';
import {
  storeAuditWriter,
  ThreadAuditWriter,
  WRITER_GONE,
  type AuditWriter,
} from '../../src/audit/writer.js';
import type { AuditEvent } from '../../src/domain/audit/audit.js';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { isDatabaseUnavailable } from '../../src/store/db-errors.js';
import { Store } from '../../src/store/store.js';
import { authEvent } from '../support/audit-fixtures.js';
import { openPostgres, testDatabases } from '../support/databases.js';

/**
 * The same AuditWriter contract (src/audit/writer.ts) from both writers: the in-process one
 * (storeAuditWriter, the request thread's own connection: PostgreSQL, `:memory:`) and the worker-thread
 * one (ThreadAuditWriter, a connection of its own to a SQLite file). Each runs against a database it is
 * used with: the in-process writer on a SQLite file and on PostgreSQL (when reachable; CI=true fails
 * without it, as the store suites do), the thread on a SQLite file.
 */
interface Fixture {
  store: Store;
  writer: AuditWriter;
  close(): Promise<void>;
}

const dbs = await testDatabases();
const postgres = dbs.find((d) => d.name === 'postgres');

/** Closing a fixture closes its writer, then its database, then removes what it left. */
function fixture(
  store: Store,
  writer: AuditWriter,
  handle: DatabaseHandle,
  cleanup = (): void => {},
): Fixture {
  return {
    store,
    writer,
    close: async () => {
      await writer.close();
      await handle.close();
      cleanup();
    },
  };
}

async function onSqliteFile(thread: boolean): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-writer-conf-'));
  const handle: DatabaseHandle = await openDatabase({ url: join(dir, 'audit.db') });
  const store = Store.from(handle);
  const writer = thread
    ? await ThreadAuditWriter.start(handle, (err) => assert.fail(`the writer thread exited: ${err.message}`))
    : storeAuditWriter(store);
  return fixture(store, writer, handle, () => rmSync(dir, { recursive: true, force: true }));
}

const WRITERS: Array<{ name: string; skip: string | false; open: () => Promise<Fixture> }> = [
  { name: 'in-process, SQLite file', skip: false, open: () => onSqliteFile(false) },
  {
    name: 'in-process, PostgreSQL',
    skip: postgres ? postgres.skip : 'PostgreSQL is not among TOKENGATE_TEST_DBS',
    open: async () => {
      const handle = await openPostgres();
      const store = Store.from(handle);
      return fixture(store, storeAuditWriter(store), handle);
    },
  },
  { name: 'worker thread, SQLite file', skip: false, open: () => onSqliteFile(true) },
];

const T0 = Date.UTC(2026, 0, 1);

function event(i: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return authEvent(i, { ts: T0 + i, ...extra });
}

const batch = (from: number, n: number): AuditEvent[] => Array.from({ length: n }, (_, i) => event(from + i));

/** The numbers of the `event n` summaries, oldest first. */
async function order(store: Store): Promise<number[]> {
  const rows = await store.audit.search({ action: 'auth.success' }, 10_000);
  return rows.reverse().map((r) => Number(r.summary.slice('event '.length)));
}

for (const w of WRITERS) {
  describe(`audit writer conformance: ${w.name}`, { skip: w.skip }, () => {
    let f: Fixture;
    before(async () => {
      f = await w.open();
    });
    after(async () => {
      await f?.close();
    });

    it('appends in the order given, each batch in one piece, every field kept', async () => {
      const start = (await f.store.audit.head())?.seq ?? 0;
      await f.writer.append(batch(0, 3));
      await f.writer.append([]);
      await f.writer.append(batch(3, 2));
      await f.writer.append(batch(5, 50));
      await f.writer.append(batch(55, 50));
      await f.writer.append(batch(105, 1));
      assert.equal(((await f.store.audit.head())?.seq ?? 0) - start, 106);
      assert.deepEqual(
        await order(f.store),
        Array.from({ length: 106 }, (_, i) => i),
      );
      const rows = await f.store.audit.search({ action: 'auth.success' }, 10_000);
      const r42 = rows.find((r) => r.summary === 'event 42');
      assert.deepEqual(r42?.details, { n: 42 });
      assert.equal(r42?.ts, T0 + 42);
      assert.equal(r42?.requestId, 'r42');
      assert.equal(r42?.proxyIp, null);
    });

    it("keeps one hash chain with the connection's own audit writes made at the same time", async () => {
      const start = (await f.store.audit.head())?.seq ?? 0;
      const mine = Array.from({ length: 10 }, (_, k) =>
        f.store.transaction((tx) => tx.audit.append([event(20_000 + k, { action: 'auth.failure' })])),
      );
      const theirs = Array.from({ length: 10 }, (_, k) => f.writer.append(batch(1_000 + k * 20, 20)));
      await Promise.all([...mine, ...theirs]);
      assert.equal(((await f.store.audit.head())?.seq ?? 0) - start, 10 + 10 * 20);
      const verified = await verifyAuditChain(f.store);
      assert.equal(verified.ok, true, JSON.stringify(verified.problem));
      // Concurrent calls may commit in any order (a PostgreSQL pool runs them side by side), but each
      // batch is one piece, in its own order.
      const written = (await order(f.store)).filter((n) => n >= 1_000 && n < 20_000);
      assert.equal(written.length, 200);
      for (let i = 0; i < written.length; i += 20) {
        const first = written[i] ?? -1;
        assert.equal((first - 1_000) % 20, 0, `batch starting at ${first}`);
        assert.deepEqual(
          written.slice(i, i + 20),
          Array.from({ length: 20 }, (_, k) => first + k),
        );
      }
    });

    it('refuses a batch the database refuses as a whole, with an error that is not an outage', async () => {
      const before = await f.store.audit.count();
      const bad = { ...event(30_000), category: null } as unknown as AuditEvent;
      await assert.rejects(f.writer.append([event(30_001), bad]), (err: Error & { code?: unknown }) => {
        assert.equal(isDatabaseUnavailable(err), false, err.message);
        assert.notEqual(err.code, WRITER_GONE);
        assert.equal(typeof err.code, 'string', 'the database error code comes back');
        return true;
      });
      assert.equal(await f.store.audit.count(), before, 'nothing of the refused batch is written');
      // The next batch continues the chain.
      await f.writer.append(batch(30_002, 2));
      assert.equal(await f.store.audit.count(), before + 2);
      assert.equal((await verifyAuditChain(f.store)).ok, true);
    });

    it('purges a batch, answers how many went, records the purge, and the chain still verifies', async () => {
      const count = await f.store.audit.count();
      const result = await f.writer.purgeBatch({
        before: 0,
        floor: Number.MAX_SAFE_INTEGER,
        maxRows: count - 10,
        limit: 5_000,
        now: Date.now(),
        nodeId: 'n1',
        retentionDays: 1,
        floorDays: 0,
      });
      // Ten beyond maxRows, and one more for the purge record written with them.
      assert.deepEqual(result, { purged: 11, heldByFloor: 0 });
      assert.equal(await f.store.audit.count(), count - 10);
      const verified = await verifyAuditChain(f.store);
      assert.equal(verified.ok, true, JSON.stringify(verified.problem));
      // Nothing more to purge: nothing goes, and no second purge record.
      const none = await f.writer.purgeBatch({
        before: 0,
        floor: Number.MAX_SAFE_INTEGER,
        maxRows: count,
        limit: 5_000,
        now: Date.now(),
        nodeId: 'n1',
        retentionDays: 1,
        floorDays: 0,
      });
      assert.equal(none.purged, 0);
      assert.equal(await f.store.audit.count(), count - 10);
    });

    it('closes after answering every call given before close, and closing again is harmless', async () => {
      const fresh = await w.open();
      try {
        const start = await fresh.store.audit.count();
        const calls = [fresh.writer.append(batch(40_000, 5)), fresh.writer.append(batch(40_005, 5))];
        await fresh.writer.close();
        await Promise.all(calls);
        assert.equal(await fresh.store.audit.count(), start + 10);
        assert.equal((await verifyAuditChain(fresh.store)).ok, true);
        await fresh.writer.close();
      } finally {
        await fresh.close();
      }
    });
  });
}
