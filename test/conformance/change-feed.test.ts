import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisChangeFeed } from '../../src/cluster/redis-changes.js';
import type { ChangeKind, ChangeNotice, ChangePropagation } from '../../src/ports/change-feed.js';
import { ChangeFeed } from '../../src/services/change-feed.js';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { Store } from '../../src/store/store.js';
import { requireRedis } from '../support/redis.js';

/**
 * The same change-propagation contract from every ChangePropagation (src/ports/change-feed.ts): the
 * database poll (services/change-feed.ts) over a SQLite file, and Redis pub/sub over that poll
 * (cluster/redis-changes.ts). Each "instance" is one process's feed; instances share one database
 * (one SQLite connection, as two nodes in one process do in test/services-conformance.test.ts) and,
 * for Redis, one Redis. A writer records its change in the database and then publishes it, as the
 * services do. Refs are random per test: other suites may publish on the same Redis channel.
 */
const redisNeed = await requireRedis();

/** How long a change may take to reach another instance here (the poll runs every POLL_MS). */
const BOUND_MS = 3_000;
const POLL_MS = 50;
/** The Redis feed's poll, when a test must see Redis deliver: far beyond BOUND_MS. */
const SLOW_POLL_MS = 600_000;

interface Instance {
  feed: ChangePropagation;
  heard: ChangeNotice[];
}

type Make = (store: Store, nodeId: string, pollMs: number) => Promise<ChangePropagation>;

const clients: Redis[] = [];
/** Errors the feeds report (a failed Redis publish or subscribe): none is expected here. */
const reported: unknown[] = [];

async function readyClient(url: string): Promise<Redis> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  clients.push(r);
  if (r.status !== 'ready') await new Promise((resolve) => r.once('ready', resolve));
  return r;
}

const FEEDS: Array<{ name: string; skip: string | false; make: Make; fastPollMs: number }> = [
  {
    name: 'database poll',
    skip: false,
    make: async (store, _nodeId, pollMs) => new ChangeFeed(store, undefined, { pollMs }),
    fastPollMs: POLL_MS,
  },
  {
    name: 'redis',
    skip: 'skip' in redisNeed ? redisNeed.skip : false,
    make: async (store, nodeId, pollMs) => {
      const url = 'url' in redisNeed ? redisNeed.url : '';
      const [pub, sub] = await Promise.all([readyClient(url), readyClient(url)]);
      const poll = new ChangeFeed(store, undefined, { pollMs });
      return new RedisChangeFeed(poll, pub, sub, nodeId, (err) => reported.push(err));
    },
    // Only Redis can deliver within the bound: the poll is there, as the safety net, but slow.
    fastPollMs: SLOW_POLL_MS,
  },
];

after(() => {
  for (const c of clients) c.disconnect();
});

/** Resolves once `cond()` holds; fails after BOUND_MS. */
async function within(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + BOUND_MS;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`not within ${BOUND_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ref = (): string => `ref-${randomBytes(6).toString('hex')}`;
const heardRef = (i: Instance, r: string): boolean => i.heard.some((c) => c.ref === r);

for (const f of FEEDS) {
  describe(`change feed conformance: ${f.name}`, { skip: f.skip }, () => {
    let dir: string;
    let database: DatabaseHandle;
    let store: Store;
    const running: ChangePropagation[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tg-change-feed-'));
      database = await openDatabase({ url: join(dir, 'shared.db') });
      store = Store.from(database);
    });

    after(async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    });

    afterEach(async () => {
      await Promise.all(running.splice(0).map((feed) => feed.stop()));
      assert.deepEqual(reported.splice(0), []);
    });

    async function instance(nodeId: string, pollMs = f.fastPollMs): Promise<Instance> {
      const feed = await f.make(store, nodeId, pollMs);
      await feed.start();
      running.push(feed);
      const heard: ChangeNotice[] = [];
      feed.subscribe((c) => heard.push({ kind: c.kind, ref: c.ref }));
      return { feed, heard };
    }

    /** What a service does: the row in the change's transaction, then publish. */
    async function change(from: Instance, kind: ChangeKind, refs: string[]): Promise<void> {
      await store.changes.record(kind, refs, Date.now());
      from.feed.publish(kind, refs);
    }

    it('tells its own subscribers at once, one notice per ref', async () => {
      const a = await instance('node-a');
      const [r1, r2] = [ref(), ref()];
      a.feed.publish('token', [r1, r2]);
      assert.deepEqual(
        a.heard.filter((c) => c.ref === r1 || c.ref === r2),
        [
          { kind: 'token', ref: r1 },
          { kind: 'token', ref: r2 },
        ],
      );
    });

    it("a change published by one instance reaches another instance's subscribers", async () => {
      const a = await instance('node-a');
      const b = await instance('node-b');
      const r = ref();
      await change(a, 'user', [r]);
      await within('node-b hears the change', () => heardRef(b, r));
      assert.deepEqual(
        b.heard.find((c) => c.ref === r),
        { kind: 'user', ref: r },
      );
    });

    it('a change only recorded in the database (a CLI process, a lost message) reaches every instance by the poll', async () => {
      const a = await instance('node-a', POLL_MS);
      const b = await instance('node-b', POLL_MS);
      const r = ref();
      await store.changes.record('settings', [r], Date.now());
      await within('both instances hear it', () => heardRef(a, r) && heardRef(b, r));
    });

    it('an unsubscribed listener hears nothing more; the others still do', async () => {
      const a = await instance('node-a');
      const b = await instance('node-b');
      const gone: ChangeNotice[] = [];
      const unsubscribe = b.feed.subscribe((c) => gone.push(c));
      const first = ref();
      await change(a, 'token', [first]);
      await within('node-b hears the first change', () => heardRef(b, first));
      assert.ok(gone.some((c) => c.ref === first));
      unsubscribe();
      const second = ref();
      await change(a, 'token', [second]);
      await within('node-b hears the second change', () => heardRef(b, second));
      assert.ok(!gone.some((c) => c.ref === second));
    });

    it('stop is clean: idempotent, and a stopped instance hears no other instance', async () => {
      const a = await instance('node-a');
      const b = await instance('node-b');
      const c = await instance('node-c');
      await b.feed.stop();
      await b.feed.stop();
      const r = ref();
      await change(a, 'session', [r]);
      await within('node-c hears the change', () => heardRef(c, r));
      // Several poll intervals more, for a delivery to node-b that should not come.
      await pause(POLL_MS * 5);
      assert.ok(!heardRef(b, r));
    });
  });
}
