import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { verifyAuditChain } from '../src/audit/verify.js';
import type { AuditEvent } from '../src/domain/audit/audit.js';
import { canonicalJson, GENESIS_HASH } from '../src/domain/audit/chain.js';
import type { DatabaseHandle } from '../src/store/database.js';
import type { Database } from '../src/store/schema.js';
import { Store } from '../src/store/store.js';
import { testDatabases } from './support/databases.js';

const T0 = Date.UTC(2026, 0, 1);

/** Varied events: every nullable field null or set, unusual text, nested and unsorted details. */
function event(i: number): AuditEvent {
  const odd = i % 2 === 1;
  const texts = [
    'plain',
    'quote " and \\ backslash',
    'ünïcödé ✓ 𝄞 emoji 🎉',
    'tab\tnew\nline',
    'literal \\ud800 text',
  ];
  const text = texts[i % texts.length] ?? 'plain';
  return {
    ts: T0 + i * 7,
    category: odd ? 'authentication' : 'tokens',
    action: odd ? 'auth.success' : 'token.created',
    summary: `${text} #${i}`,
    author: odd ? 'anonymous' : `user-${i % 13}`,
    affectedUser: i % 3 === 0 ? null : `user-${i % 11}`,
    tokenId: i % 4 === 0 ? null : `tok_${i % 17}`,
    tokenDescription: i % 5 === 0 ? null : text,
    sourceIp: i % 6 === 0 ? null : `192.0.2.${i % 250}`,
    proxyIp: odd ? '198.51.100.1' : null,
    nodeId: `node-${i % 3}`,
    requestId: i % 7 === 0 ? null : `r${i}`,
    method: odd ? 'GET' : null,
    endpoint: odd ? `/api/${i}?q=${encodeURIComponent(text)}` : null,
    outcome: i % 8 === 0 ? null : 'success',
    details:
      i % 3 === 1
        ? null
        : { z: i, a: { y: [1, 'two', null, { d: true, c: 0.5 }], x: text }, m: odd ? 'read' : undefined },
  };
}

/** The hash exactly as the first chained release computed it: three update() calls, JSON fields. */
function referenceHash(prev: string, e: AuditEvent): string {
  const { details, ...rest } = e;
  const c = { ...rest, detailsText: details === null ? null : canonicalJson(details) };
  const fields = [
    c.ts,
    c.category,
    c.action,
    c.summary,
    c.author,
    c.affectedUser,
    c.tokenId,
    c.tokenDescription,
    c.sourceIp,
    c.proxyIp,
    c.nodeId,
    c.requestId,
    c.method,
    c.endpoint,
    c.outcome,
    c.detailsText,
  ];
  return createHash('sha256').update(prev).update('\n').update(JSON.stringify(fields)).digest('hex');
}

/** The append of the first chained release: Kysely inserts of 500 rows with RETURNING. */
async function referenceAppend(db: Kysely<Database>, events: readonly AuditEvent[]): Promise<void> {
  const head = await db
    .selectFrom('audit_chain')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  let seq = head ? Number(head.seq) : 0;
  let prev = head?.hash ?? GENESIS_HASH;
  const rows = events.map((e) => {
    const hash = referenceHash(prev, e);
    seq++;
    const row = {
      ts: e.ts,
      category: e.category,
      action: e.action,
      summary: e.summary,
      author: e.author,
      affected_user: e.affectedUser,
      token_id: e.tokenId,
      token_description: e.tokenDescription,
      source_ip: e.sourceIp,
      proxy_ip: e.proxyIp,
      node_id: e.nodeId,
      request_id: e.requestId,
      method: e.method,
      endpoint: e.endpoint,
      outcome: e.outcome,
      details: e.details === null ? null : canonicalJson(e.details),
      seq,
      prev_hash: prev,
      hash,
    };
    prev = hash;
    return row;
  });
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('audit_log')
      .values(rows.slice(i, i + 500))
      .returningAll()
      .execute();
  }
  if (head) await db.updateTable('audit_chain').set({ seq, hash: prev }).where('id', '=', 1).execute();
  else await db.insertInto('audit_chain').values({ id: 1, seq, hash: prev }).execute();
}

/** Batch sizes that cross the SQLite statement size (500 rows) and end on odd remainders. */
const BATCHES = [1, 2, 499, 500, 501, 1203, 37];

for (const database of await testDatabases()) {
  describe(`audit append on ${database.name}`, { skip: database.skip }, () => {
    let current: DatabaseHandle;
    let reference: DatabaseHandle;
    let store: Store;
    const events: AuditEvent[] = [];
    for (let i = 0, n = 0; i < BATCHES.length; n += BATCHES[i] ?? 0, i++) {
      for (let k = 0; k < (BATCHES[i] ?? 0); k++) events.push(event(n + k));
    }

    before(async () => {
      current = await database.open();
      reference = await database.open();
      store = Store.from(current);
    });
    after(async () => {
      await current.close();
      await reference.close();
    });

    it('stores what the first release stored, hashes included, and returns the stored records', async () => {
      const returned = [];
      let offset = 0;
      for (const size of BATCHES) {
        const batch = events.slice(offset, offset + size);
        offset += size;
        returned.push(...(await store.transaction((tx) => tx.audit.append(batch))));
        await reference.db.transaction().execute((trx) => referenceAppend(trx, batch));
      }
      const ours = await store.audit.chainRows(0, 100_000);
      const theirs = await Store.from(reference).audit.chainRows(0, 100_000);
      assert.equal(ours.length, events.length);
      assert.deepEqual(ours, theirs);
      // What append returned is what a search reads back, ids included.
      const read = await store.audit.search({}, 100_000);
      assert.deepEqual(returned, read.reverse());
      assert.deepEqual(
        returned.map((r) => r.seq),
        events.map((_, i) => i + 1),
      );
      assert.deepEqual(await store.audit.head(), await Store.from(reference).audit.head());
    });

    it('leaves a chain that verifies from the genesis to the head', async () => {
      const v = await verifyAuditChain(store);
      assert.equal(v.ok, true, JSON.stringify(v.problem));
      assert.equal(v.checked, events.length);
      assert.equal(v.headSeq, events.length);
    });

    it('continues a chain the old append wrote, and the whole chain verifies', async () => {
      const more = Array.from({ length: 3 }, (_, i) => event(events.length + i));
      await reference.db.transaction().execute((trx) => referenceAppend(trx, more.slice(0, 1)));
      const refStore = Store.from(reference);
      await refStore.transaction((tx) => tx.audit.append(more.slice(1)));
      const v = await verifyAuditChain(refStore);
      assert.equal(v.ok, true, JSON.stringify(v.problem));
      assert.equal(v.checked, events.length + 3);
    });

    it('stores a lone UTF-16 surrogate as the driver did before', async () => {
      const lone = { ...event(1), summary: 'x\ud800y', tokenDescription: 'back\\ud800slash', details: null };
      const [ours] = await store.transaction((tx) => tx.audit.append([lone]));
      await reference.db.transaction().execute((trx) => referenceAppend(trx, [lone]));
      const read = async (db: Kysely<Database>) =>
        db
          .selectFrom('audit_log')
          .select(['summary', 'token_description'])
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirstOrThrow();
      assert.deepEqual(await read(current.db), await read(reference.db));
      assert.equal((await read(current.db)).token_description, 'back\\ud800slash');
      assert.equal(ours?.hash, referenceHash(ours?.prevHash ?? '', lone));
    });

    it('writes nothing when the transaction rolls back', async () => {
      const before = await store.audit.head();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.audit.append(events.slice(0, 600));
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await store.audit.head(), before);
      assert.equal(await store.audit.count(), before?.seq);
    });
  });
}
