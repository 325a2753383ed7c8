import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DatabaseHandle } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { testDatabases } from './support/databases.js';
import { event, T0, user } from './support/store-fixtures.js';

/** The audit log's store (hash chain, search, purge) on every database; the rest is in store-conformance.test.ts. */

for (const db of await testDatabases()) {
  describe(`store conformance, audit: ${db.name}`, { skip: db.skip }, () => {
    let handle: DatabaseHandle;
    let store: Store;

    before(async () => {
      handle = await db.open();
      store = Store.from(handle);
      await store.users.insert(user('alice'));
      await store.users.insert(user('bob', { groups: ['ops', 'admin'] }));
    });
    after(async () => {
      await handle.close();
    });

    describe('audit', () => {
      it('appends records to the hash chain and lists them newest first with every field', async () => {
        const head0 = (await store.audit.head())?.seq ?? 0;
        await store.transaction((tx) =>
          tx.audit.append([
            event({ tokenId: 'tok_a', summary: 'first' }),
            event({ tokenId: 'tok_b', summary: 'second', details: null }),
          ]),
        );
        const [second, first] = await store.audit.list({ limit: 2 });
        assert.equal(second?.summary, 'second');
        assert.equal(second?.details, null);
        assert.equal(first?.seq, head0 + 1);
        assert.equal(second?.seq, head0 + 2);
        assert.equal(second?.prevHash, first?.hash);
        assert.match(first?.hash ?? '', /^[0-9a-f]{64}$/);
        const {
          id: _id,
          seq: _seq,
          prevHash: _p,
          hash: _h,
          ...rest
        } = first ?? { id: 0, seq: 0, prevHash: '', hash: '' };
        assert.deepEqual(rest, event({ tokenId: 'tok_a', summary: 'first' }));
        assert.deepEqual(await store.audit.head(), { seq: head0 + 2, hash: second?.hash });
      });

      it('searches by every filter and pages by seq', async () => {
        await store.transaction((tx) =>
          tx.audit.append([
            event({
              tokenId: 'tok_x',
              author: 'carl',
              ts: T0 + 10,
              summary: 'Token "Nightly Backup" created',
            }),
            event({
              tokenId: 'tok_x',
              author: 'dina',
              ts: T0 + 20,
              sourceIp: '198.51.100.9',
              category: 'authentication',
              action: 'auth.success',
            }),
            event({
              tokenId: 'tok_y',
              author: 'carl',
              ts: T0 + 30,
              proxyIp: '198.51.100.9',
              affectedUser: 'erik',
              nodeId: 'node-b',
              details: { limit: 5 },
            }),
          ]),
        );
        const ids = async (f: Parameters<Store['audit']['search']>[0]) =>
          (await store.audit.search(f, 100)).map((r) => r.summary + '|' + String(r.tokenId));
        assert.equal((await store.audit.search({ tokenId: 'tok_x' }, 100)).length, 2);
        assert.equal(
          (await store.audit.search({ author: 'carl', from: T0 + 5, to: T0 + 35 }, 100)).length,
          2,
        );
        assert.equal(
          (await store.audit.search({ category: 'authentication', action: 'auth.success' }, 100))[0]?.author,
          'dina',
        );
        assert.equal((await store.audit.search({ ip: '198.51.100.9' }, 100)).length, 2);
        assert.equal((await store.audit.search({ affectedUser: 'erik', nodeId: 'node-b' }, 100)).length, 1);
        assert.deepEqual(await ids({ q: 'nightly BACKUP' }), ['Token "Nightly Backup" created|tok_x']);
        assert.equal((await store.audit.search({ q: '"limit":5' }, 100)).length, 1);
        const page1 = await store.audit.search({ tokenId: 'tok_x' }, 1);
        const page2 = await store.audit.search({ tokenId: 'tok_x' }, 1, page1[0]);
        assert.ok((page1[0]?.seq ?? 0) > (page2[0]?.seq ?? 0));
        assert.equal((await store.audit.search({ tokenId: 'tok_x' }, 1, page2[0])).length, 0);
      });

      it('keeps one unbroken chain when transactions append concurrently', async () => {
        const before = (await store.audit.head())?.seq ?? 0;
        await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            store.transaction((tx) =>
              tx.audit.append([event({ summary: `c${i}a` }), event({ summary: `c${i}b` })]),
            ),
          ),
        );
        const rows = await store.audit.chainRows(before, 100);
        assert.deepEqual(
          rows.map((r) => r.seq),
          Array.from({ length: 12 }, (_, i) => before + i + 1),
        );
        for (let i = 1; i < rows.length; i++) assert.equal(rows[i]?.prevHash, rows[i - 1]?.hash);
      });

      it('purges the oldest records in batches, leaving a checkpoint the chain continues from', async () => {
        const purge = (before: number, maxRows: number, limit: number) => ({
          before,
          floor: Number.MAX_SAFE_INTEGER,
          maxRows,
          limit,
          now: T0,
          nodeId: 'n1',
          retentionDays: 1,
          floorDays: 0,
        });
        const total = await store.audit.count();
        const removed = (await store.transaction((tx) => tx.audit.purgeBatch(purge(T0 + 15, 1_000_000, 3))))
          .purged;
        assert.ok(removed >= 1 && removed <= 3, String(removed));
        // The purge record takes the place of what went, in the same transaction.
        assert.equal(await store.audit.count(), total - removed + 1);
        const [record] = await store.audit.search({ action: 'audit.purged' }, 1);
        assert.equal(record?.author, '@retention');
        assert.equal(record?.details?.purged, removed);
        assert.equal(record?.details?.reason, 'retentionDays');
        const start = await store.audit.chainStart();
        const [first] = await store.audit.chainRows(0, 1);
        assert.equal(start.seq, (first?.seq ?? 0) - 1);
        assert.equal(start.hash, first?.prevHash);
        assert.equal(record?.details?.toSeq, start.seq);
        // maxRows purges regardless of age, and makes room for its own record.
        const kept = await store.audit.count();
        const byCount = await store.transaction((tx) => tx.audit.purgeBatch(purge(0, kept - 2, 100)));
        assert.deepEqual(byCount, { purged: 3, heldByFloor: 0 });
        assert.equal(await store.audit.count(), kept - 2);
        // Nothing younger than the floor goes, whatever maxRows says; the excess is reported instead.
        const count = await store.audit.count();
        const floored = await store.transaction((tx) =>
          tx.audit.purgeBatch({ ...purge(Number.MAX_SAFE_INTEGER, 1, 100), floor: 0 }),
        );
        assert.deepEqual(floored, { purged: 0, heldByFloor: count - 1 });
        assert.equal(await store.audit.count(), count);
      });
    });
  });
}
