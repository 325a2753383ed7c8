import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from '../src/store/kysely.js';
import type { AuditEvent } from '../src/domain/audit/audit.js';
import type { StoredToken } from '../src/domain/token/token.js';
import type { StoredUser } from '../src/domain/user.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import * as m0001 from '../src/store/migrations/0001_initial.js';
import * as m0002 from '../src/store/migrations/0002_audit_chain.js';
import * as m0003 from '../src/store/migrations/0003_sessions_stats.js';
import * as m0004 from '../src/store/migrations/0004_nodes.js';
import * as m0005 from '../src/store/migrations/0005_audit_search_indexes.js';
import * as m0006 from '../src/store/migrations/0006_token_lifecycle.js';
import * as m0007 from '../src/store/migrations/0007_secret_issuer.js';
import type { Database, TokensTable } from '../src/store/schema.js';
import { Store } from '../src/store/store.js';
import { testDatabases } from './support/databases.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function user(username: string, extra: Partial<StoredUser> = {}): StoredUser {
  return {
    username,
    displayName: username.toUpperCase(),
    email: `${username}@example.test`,
    groups: ['dev'],
    passwordHash: null,
    disabled: false,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

let seq = 0;
function token(owner: string, extra: Partial<StoredToken> = {}): StoredToken {
  seq++;
  return {
    id: `tok_${String(seq).padStart(6, '0')}`,
    hash: seq.toString(16).padStart(64, '0'),
    user: owner,
    description: `token ${seq}`,
    scope: 'read',
    createdAt: T0 + seq * 1000,
    createdBy: owner,
    expiresAt: null,
    lastUsedAt: null,
    lastUsedIp: null,
    allowedIps: null,
    rateLimit: null,
    revokedAt: null,
    revokedBy: null,
    useCount: 0,
    rotatedAt: null,
    secretIssuedBy: owner,
    ...extra,
  };
}

function event(extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    ts: T0,
    category: 'tokens',
    action: 'token.created',
    summary: 'created',
    author: 'alice',
    affectedUser: 'alice',
    tokenId: null,
    tokenDescription: null,
    sourceIp: '203.0.113.7',
    proxyIp: '10.0.0.2',
    nodeId: 'node-a',
    requestId: 'r1',
    method: 'POST',
    endpoint: '/_tokengate/api/v1/tokens',
    outcome: 'success',
    details: { scope: 'read', nested: { list: [1, 2] } },
    ...extra,
  };
}

for (const db of await testDatabases()) {
  describe(`store conformance: ${db.name}`, { skip: db.skip }, () => {
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

    describe('users', () => {
      it('round-trips every field', async () => {
        const u = user('carol', {
          passwordHash: 'scrypt$1$1$1$a$b',
          disabled: true,
          email: null,
          groups: [],
        });
        await store.users.insert(u);
        assert.deepEqual(await store.users.find('carol'), u);
      });

      it('returns null for a missing user and lists in name order', async () => {
        assert.equal(await store.users.find('nobody'), null);
        const names = (await store.users.list()).map((u) => u.username);
        assert.deepEqual(names, [...names].sort());
        assert.ok(names.includes('alice') && names.includes('bob'));
      });

      it('updates only the given fields', async () => {
        await store.users.insert(user('dave'));
        assert.equal(await store.users.update('dave', { disabled: true, groups: ['a', 'b'] }, T0 + 5), true);
        const d = await store.users.find('dave');
        assert.equal(d?.disabled, true);
        assert.deepEqual(d?.groups, ['a', 'b']);
        assert.equal(d?.email, 'dave@example.test');
        assert.equal(d?.updatedAt, T0 + 5);
        assert.equal(await store.users.update('nobody', { disabled: true }, T0), false);
      });

      it('refuses a duplicate user name', async () => {
        await assert.rejects(store.users.insert(user('alice')));
      });

      it('deletes a user together with their tokens', async () => {
        await store.users.insert(user('erin'));
        const t = token('erin');
        await store.tokens.insert(t);
        assert.equal(await store.users.delete('erin'), true);
        assert.equal(await store.users.find('erin'), null);
        assert.equal(await store.tokens.findById(t.id), null);
        assert.equal(await store.users.delete('erin'), false);
      });
    });

    describe('tokens', () => {
      it('round-trips every field and finds by hash and id', async () => {
        const t = token('alice', {
          scope: 'write',
          expiresAt: T0 + 30 * DAY,
          allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
          rateLimit: { requests: 100, windowSeconds: 60 },
          createdBy: 'bob',
          secretIssuedBy: 'bob',
        });
        await store.tokens.insert(t);
        assert.deepEqual(await store.tokens.findByHash(t.hash), t);
        assert.deepEqual(await store.tokens.findById(t.id), t);
        assert.equal(await store.tokens.findByHash('f'.repeat(64)), null);
        const unknown = token('alice', { secretIssuedBy: null });
        await store.tokens.insert(unknown);
        assert.equal((await store.tokens.findById(unknown.id))?.secretIssuedBy, null);
      });

      it('rotates: the new hash finds the token, the old one is kept with its grace, later rotations cap it', async () => {
        const t = token('alice');
        await store.tokens.insert(t);
        const [h1, h2, h3] = ['1', '2', '3'].map((c) => c.repeat(64)) as [string, string, string];
        assert.equal(
          await store.tokens.rotate(t.id, 'e'.repeat(64), h1, T0 + 1, T0 + 3600, 'bob'),
          false,
          'stale hash',
        );
        assert.equal(await store.tokens.rotate(t.id, t.hash, h1, T0 + 1, T0 + 3600, 'bob'), true);
        assert.deepEqual(await store.tokens.findByHash(h1), {
          ...t,
          hash: h1,
          rotatedAt: T0 + 1,
          secretIssuedBy: 'bob',
        });
        assert.equal(await store.tokens.findByHash(t.hash), null);
        assert.deepEqual(await store.tokens.findRotated(t.hash), {
          tokenId: t.id,
          rotatedAt: T0 + 1,
          validUntil: T0 + 3600,
        });
        assert.deepEqual(await store.tokens.formerHolders(t.id, T0 + 1), ['alice'], 'the first secret');
        assert.equal(await store.tokens.rotate(t.id, h1, h2, T0 + 2, T0 + 2, null), true);
        assert.equal((await store.tokens.findById(t.id))?.secretIssuedBy, null, 'an unknown holder');
        assert.equal(
          (await store.tokens.findRotated(t.hash))?.validUntil,
          T0 + 2,
          'capped by the later rotation',
        );
        assert.equal((await store.tokens.findRotated(h1))?.validUntil, T0 + 2);
        assert.equal(await store.tokens.findRotated(h3), null);
        assert.deepEqual(await store.tokens.formerHolders(t.id, T0 + 1), ['alice', 'bob'], 'oldest first');
        assert.deepEqual(await store.tokens.formerHolders(t.id, T0 + 2), [], 'grace over');
        await store.tokens.revoke(t.id, T0 + 3, 'bob');
        assert.equal(
          await store.tokens.rotate(t.id, h2, h3, T0 + 4, T0 + 4, 'bob'),
          false,
          'a revoked token',
        );
      });

      it('refuses a duplicate hash and a token for a missing user', async () => {
        const t = token('alice');
        await store.tokens.insert(t);
        await assert.rejects(store.tokens.insert({ ...token('alice'), hash: t.hash }));
        await assert.rejects(store.tokens.insert(token('ghost')));
      });

      it('counts only active tokens', async () => {
        await store.users.insert(user('frank'));
        const now = T0 + 10 * DAY;
        await store.tokens.insert(token('frank'));
        await store.tokens.insert(token('frank', { expiresAt: now + DAY }));
        await store.tokens.insert(token('frank', { expiresAt: now - 1 }));
        await store.tokens.insert(token('frank', { revokedAt: T0, revokedBy: 'frank' }));
        assert.equal(await store.tokens.countActive('frank', now), 2);
      });

      it('revokes once, and reports a second revocation as a no-op', async () => {
        const t = token('alice');
        await store.tokens.insert(t);
        assert.equal(await store.tokens.revoke(t.id, T0 + 1, 'bob'), true);
        assert.equal(await store.tokens.revoke(t.id, T0 + 2, 'bob'), false);
        const r = await store.tokens.findById(t.id);
        assert.equal(r?.revokedAt, T0 + 1);
        assert.equal(r?.revokedBy, 'bob');
        assert.equal(await store.tokens.revoke('tok_missing', T0, 'bob'), false);
      });

      it('revokes all tokens of one user and no one else', async () => {
        await store.users.insert(user('gina'));
        const a = token('gina');
        const b = token('gina');
        const done = token('gina', { revokedAt: T0, revokedBy: 'gina' });
        const other = token('alice');
        for (const t of [a, b, done, other]) await store.tokens.insert(t);
        const revoked = await store.tokens.revokeAllOfUser('gina', T0 + 9, 'bob');
        assert.deepEqual(revoked.map((t) => t.id).sort(), [a.id, b.id].sort());
        assert.equal((await store.tokens.findById(other.id))?.revokedAt, null);
        assert.equal((await store.tokens.findById(done.id))?.revokedAt, T0);
      });

      it('changes the description', async () => {
        const t = token('alice');
        await store.tokens.insert(t);
        assert.equal(await store.tokens.updateDescription(t.id, 'renamed'), true);
        assert.equal((await store.tokens.findById(t.id))?.description, 'renamed');
      });

      it('records last use without going back in time', async () => {
        const t = token('alice');
        await store.tokens.insert(t);
        await store.tokens.touchLastUsed([{ id: t.id, at: T0 + 50, ip: '192.0.2.1' }]);
        await store.tokens.touchLastUsed([{ id: t.id, at: T0 + 40, ip: '192.0.2.99' }]);
        const r = await store.tokens.findById(t.id);
        assert.equal(r?.lastUsedAt, T0 + 50);
        assert.equal(r?.lastUsedIp, '192.0.2.1');
      });
    });

    describe('token search', () => {
      const now = T0 + 100 * DAY;
      let ids: Record<string, string>;

      before(async () => {
        await store.users.insert(user('hank'));
        await store.users.insert(user('ivy'));
        const rows = {
          h1: token('hank', {
            description: 'Jenkins deploy',
            scope: 'write',
            createdAt: T0 + 1 * DAY,
            expiresAt: now + 5 * DAY,
            lastUsedAt: T0 + 90 * DAY,
          }),
          h2: token('hank', {
            description: 'backup 100%_sure',
            createdAt: T0 + 2 * DAY,
            expiresAt: now - DAY,
          }),
          h3: token('hank', {
            description: 'old',
            createdAt: T0 + 3 * DAY,
            revokedAt: T0 + 4 * DAY,
            revokedBy: 'hank',
          }),
          i1: token('ivy', {
            description: 'JENKINS read',
            createdAt: T0 + 4 * DAY,
            lastUsedAt: T0 + 10 * DAY,
          }),
          i2: token('ivy', { description: 'grafana', createdAt: T0 + 4 * DAY, expiresAt: now + 400 * DAY }),
        };
        for (const t of Object.values(rows)) await store.tokens.insert(t);
        ids = Object.fromEntries(Object.entries(rows).map(([k, t]) => [k, t.id]));
      });

      const find = async (f: Parameters<Store['tokens']['search']>[0]): Promise<string[]> =>
        (await store.tokens.search({ ...f }, now, 1000))
          .map((t) => t.id)
          .filter((id) => Object.values(ids).includes(id));
      const name = (list: string[]): string[] =>
        list.map((id) => Object.entries(ids).find(([, v]) => v === id)?.[0] ?? id);

      it('filters by user and scope, newest first', async () => {
        assert.deepEqual(name(await find({ user: 'hank' })), ['h3', 'h2', 'h1']);
        assert.deepEqual(name(await find({ scope: 'write', user: 'hank' })), ['h1']);
      });

      it('matches the description case-insensitively, with LIKE characters taken literally', async () => {
        assert.deepEqual(name(await find({ description: 'jenkins' })).sort(), ['h1', 'i1']);
        assert.deepEqual(name(await find({ description: '100%_' })), ['h2']);
        assert.deepEqual(name(await find({ description: '%' })), ['h2']);
      });

      it('filters by status', async () => {
        assert.deepEqual(name(await find({ user: 'hank', status: 'active' })), ['h1']);
        assert.deepEqual(name(await find({ user: 'hank', status: 'expired' })), ['h2']);
        assert.deepEqual(name(await find({ user: 'hank', status: 'revoked' })), ['h3']);
      });

      it('filters by created, last-used and expiry ranges, inclusive', async () => {
        assert.deepEqual(name(await find({ createdFrom: T0 + 2 * DAY, createdTo: T0 + 3 * DAY })), [
          'h3',
          'h2',
        ]);
        assert.deepEqual(name(await find({ lastUsedFrom: T0 + 10 * DAY, lastUsedTo: T0 + 10 * DAY })), [
          'i1',
        ]);
        assert.deepEqual(name(await find({ expiresFrom: now, expiresTo: now + 30 * DAY })), ['h1']);
      });

      it('pages with a cursor, ties broken by id, without gaps or repeats', async () => {
        const seen: string[] = [];
        let cursor: { createdAt: number; id: string } | undefined;
        for (let page = 0; page < 10; page++) {
          const rows = await store.tokens.search(
            { createdFrom: T0 + DAY, createdTo: T0 + 4 * DAY },
            now,
            2,
            cursor,
          );
          seen.push(...rows.map((t) => t.id));
          const last = rows[rows.length - 1];
          if (rows.length < 2 || !last) break;
          cursor = { createdAt: last.createdAt, id: last.id };
        }
        const all = await store.tokens.search({ createdFrom: T0 + DAY, createdTo: T0 + 4 * DAY }, now, 1000);
        assert.deepEqual(
          seen,
          all.map((t) => t.id),
        );
        assert.equal(new Set(seen).size, seen.length);
        assert.ok(seen.length >= 5);
      });
    });

    describe('settings', () => {
      it('stores JSON values and upserts', async () => {
        await store.settings.put('auth.allowedIps', ['10.0.0.0/8'], T0, 'alice');
        await store.settings.put('tokens.maxValidityDays', null, T0, 'alice');
        await store.settings.put('auth.allowedIps', [], T0 + 1, 'bob');
        const all = await store.settings.all();
        assert.deepEqual(all['auth.allowedIps'], []);
        assert.equal(all['tokens.maxValidityDays'], null);
      });
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

    describe('change feed', () => {
      it('hands out changes in order after a sequence number, and prunes old ones', async () => {
        const start = await store.changes.latestSeq();
        await store.changes.record('token', ['tok_1', 'tok_2'], T0);
        await store.changes.record('user', ['alice'], T0 + 10);
        const got = await store.changes.since(start, 100);
        assert.deepEqual(
          got.map((c) => [c.kind, c.ref]),
          [
            ['token', 'tok_1'],
            ['token', 'tok_2'],
            ['user', 'alice'],
          ],
        );
        assert.equal(await store.changes.latestSeq(), got[2]?.seq);
        assert.deepEqual((await store.changes.since(start, 1)).length, 1);
        assert.equal(await store.changes.prune(T0 + 5), 2);
        assert.deepEqual(
          (await store.changes.since(start, 100)).map((c) => c.ref),
          ['alice'],
        );
      });
    });

    describe('transactions', () => {
      it('write everything or nothing', async () => {
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.users.insert(user('rollback'));
            await tx.audit.append([event({ summary: 'rolled back' })]);
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await store.users.find('rollback'), null);
        assert.ok(!(await store.audit.list({ limit: 50 })).some((r) => r.summary === 'rolled back'));
      });

      it('can lock a user row inside a transaction', async () => {
        await store.transaction(async (tx) => {
          await tx.lockUser('alice');
          await tx.tokens.insert(token('alice'));
        });
      });
    });

    it('answers a ping', async () => {
      await store.ping();
    });
  });
}

describe('migrations', () => {
  it('are idempotent: reopening a SQLite file migrates nothing twice and keeps data', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'tg-migrate-'));
    try {
      const path = join(dir, 'nested', 'tokengate.db');
      const a = await openDatabase({ url: path });
      await Store.from(a).users.insert(user('zed'));
      await a.close();
      const b = await openDatabase({ url: path });
      assert.equal((await Store.from(b).users.find('zed'))?.username, 'zed');
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('0007 hands an unrotated token to its creator and leaves a rotated one unknown', async () => {
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) });
    try {
      const raw = db as unknown as Kysely<unknown>;
      for (const m of [m0001, m0002, m0003, m0004, m0005, m0006]) await m.up(raw, 'sqlite');
      await db
        .insertInto('users')
        .values({
          username: 'amy',
          display_name: 'Amy',
          email: null,
          groups: '[]',
          password_hash: null,
          disabled: 0,
          created_at: T0,
          updated_at: T0,
        })
        .execute();
      const row = (id: string, createdBy: string, rotatedAt: number | null) => ({
        id,
        hash: id.padEnd(64, '0'),
        username: 'amy',
        description: id,
        scope: 'read',
        created_at: T0,
        created_by: createdBy,
        expires_at: null,
        last_used_at: null,
        last_used_ip: null,
        allowed_ips: null,
        rate_limit_requests: null,
        rate_limit_window_seconds: null,
        revoked_at: null,
        revoked_by: null,
        rotated_at: rotatedAt,
        expiry_warned_at: null,
      });
      // Written as 0006 knew the table: without secret_issued_by.
      const old = db as unknown as Kysely<{ tokens: Omit<TokensTable, 'secret_issued_by'> }>;
      await old
        .insertInto('tokens')
        .values([row('tok_a', 'mgr', null), row('tok_b', 'amy', T0 + 1)])
        .execute();
      await m0007.up(raw, 'sqlite');
      const got = await db.selectFrom('tokens').select(['id', 'secret_issued_by']).orderBy('id').execute();
      assert.deepEqual(got, [
        { id: 'tok_a', secret_issued_by: 'mgr' },
        { id: 'tok_b', secret_issued_by: null },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
