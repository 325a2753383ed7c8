import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent, AuditRecord } from '../src/domain/audit/audit.js';
import type { AuditFilter, AuditPosition } from '../src/store/audit-repo.js';
import type { DatabaseHandle } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { testDatabases } from './support/databases.js';

const T0 = Date.UTC(2026, 0, 1);
const IPS = ['192.0.2.1', '192.0.2.2', '198.51.100.7', null];

function event(i: number): AuditEvent {
  return {
    // Not in seq order everywhere: a queued event can be older than one written before it (and
    // here shares its millisecond with the one two before it, so seq breaks the tie).
    ts: T0 + i * 10 - (i % 5 === 0 ? 20 : 0),
    category: i % 4 === 0 ? 'tokens' : 'authentication',
    action: i % 4 === 0 ? 'token.created' : i % 3 === 0 ? 'auth.failed' : 'auth.success',
    summary: `event ${i}`,
    author: `user-${i % 3}`,
    affectedUser: i % 7 === 0 ? null : `user-${i % 5}`,
    tokenId: i % 6 === 0 ? null : `tok_${i % 4}`,
    tokenDescription: null,
    sourceIp: IPS[i % 4] ?? null,
    proxyIp: IPS[(i >> 2) % 4] ?? null,
    nodeId: `node-${i % 2}`,
    requestId: null,
    method: 'GET',
    endpoint: '/x',
    outcome: 'success',
    details: null,
  };
}

/** What the search must return: every filter applied in JavaScript, newest first (ts, then seq). */
function expected(all: AuditRecord[], f: AuditFilter, limit: number, after?: AuditPosition): number[] {
  return all
    .filter(
      (r) =>
        (f.from === undefined || r.ts >= f.from) &&
        (f.to === undefined || r.ts <= f.to) &&
        (f.author === undefined || r.author === f.author) &&
        (f.category === undefined || r.category === f.category) &&
        (f.action === undefined || r.action === f.action) &&
        (f.affectedUser === undefined || r.affectedUser === f.affectedUser) &&
        (f.tokenId === undefined || r.tokenId === f.tokenId) &&
        (f.nodeId === undefined || r.nodeId === f.nodeId) &&
        (f.ip === undefined || r.sourceIp === f.ip || r.proxyIp === f.ip) &&
        (after === undefined || r.ts < after.ts || (r.ts === after.ts && r.seq < after.seq)),
    )
    .sort((a, b) => b.ts - a.ts || b.seq - a.seq)
    .slice(0, limit)
    .map((r) => r.seq);
}

const FILTERS: AuditFilter[] = [
  {},
  { ip: '192.0.2.1' },
  { ip: '198.51.100.7' },
  { ip: '203.0.113.99' },
  { ip: '192.0.2.2', author: 'user-1' },
  { ip: '192.0.2.1', from: T0 + 500, to: T0 + 1500 },
  { ip: '192.0.2.2', category: 'authentication', action: 'auth.failed', nodeId: 'node-1' },
  { affectedUser: 'user-3', from: T0 + 300, to: T0 + 2000 },
  { affectedUser: 'user-2', to: T0 + 100 },
  { tokenId: 'tok_1' },
  { tokenId: 'tok_2', affectedUser: 'user-4' },
  { author: 'user-0', from: T0 + 1000 },
  { category: 'tokens', action: 'token.created' },
  { nodeId: 'node-0', ip: '198.51.100.7' },
];

for (const database of await testDatabases()) {
  describe(`audit search on ${database.name}`, { skip: database.skip }, () => {
    let handle: DatabaseHandle;
    let store: Store;
    let all: AuditRecord[];

    before(async () => {
      handle = await database.open();
      store = Store.from(handle);
      all = await store.transaction((tx) => tx.audit.append(Array.from({ length: 400 }, (_, i) => event(i))));
    });
    after(() => handle.close());

    it('returns the newest records that match every filter, a page at a time', async () => {
      for (const f of FILTERS) {
        for (const limit of [1, 7, 50]) {
          const want = expected(all, f, 1000);
          const got: number[] = [];
          let cursor: AuditPosition | undefined;
          // Page through everything; bounded by the number of records.
          for (let page = 0; page <= all.length; page++) {
            const rows = await store.audit.search(f, limit, cursor);
            assert.deepEqual(
              rows.map((r) => r.seq),
              expected(all, f, limit, cursor),
              `${JSON.stringify(f)} limit ${limit} after ${JSON.stringify(cursor)}`,
            );
            got.push(...rows.map((r) => r.seq));
            if (rows.length < limit) break;
            cursor = rows.at(-1);
          }
          assert.deepEqual(got, want, JSON.stringify(f));
        }
      }
    });

    it('returns whole records, a record matching the IP twice only once', async () => {
      const both = { ...event(0), sourceIp: '203.0.113.5', proxyIp: '203.0.113.5', summary: 'both' };
      const [stored] = await store.transaction((tx) => tx.audit.append([both]));
      const rows = await store.audit.search({ ip: '203.0.113.5' }, 50);
      assert.deepEqual(rows, [stored]);
    });
  });
}
