import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DatabaseHandle } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { testDatabases } from './support/databases.js';
import { DAY, event, T0, token, user } from './support/store-fixtures.js';

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
