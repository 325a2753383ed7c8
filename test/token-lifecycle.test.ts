import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { noNotifier, type Notifier } from '../src/notify/notifier.js';
import { startTokenLifecycle } from '../src/services/token-lifecycle.js';
import type { Store } from '../src/store/store.js';
import { TokenLifecycleRepo } from '../src/store/token-lifecycle-repo.js';
import { testDatabases } from './support/databases.js';
import { startEchoUpstream, startTestNode } from './support/node.js';
import {
  addToken,
  addUser,
  audits,
  cli,
  DAY,
  fresh,
  HOUR,
  job,
  logger,
  recorder,
  recordLoggers,
  sharedPair,
  T0,
  tokenIds,
} from './support/token-lifecycle.js';

/**
 * The token life-cycle job (src/services/token-lifecycle.ts) on every database: pruning of
 * long-expired tokens; revocation of unused ones; each change audited once, even with several nodes
 * at once. Expiry warnings are in token-lifecycle-warnings.test.ts. The clock is the job's `now`,
 * moved by hand.
 */

after(() => recordLoggers('token-lifecycle'));

for (const db of await testDatabases()) {
  describe(`token lifecycle on ${db.name}`, { skip: db.skip }, () => {
    it('prunes tokens pruneExpiredAfterDays after they expired, each audited once', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'frank', null);
        const old = await addToken(app, 'frank', 'old', { expiresAt: T0 + DAY });
        const oldRevoked = await addToken(app, 'frank', 'old revoked', {
          expiresAt: T0 + DAY,
          revoked: true,
        });
        const recent = await addToken(app, 'frank', 'recent', { expiresAt: T0 + 10 * DAY });
        const forever = await addToken(app, 'frank', 'forever', { expiresAt: null });
        const revoked = await addToken(app, 'frank', 'revoked, no expiry', {
          expiresAt: null,
          revoked: true,
        });
        const active = await addToken(app, 'frank', 'active', { expiresAt: T0 + 400 * DAY });
        // A former secret of the old token (a rotation) goes with it.
        await app.database.db
          .insertInto('token_rotations')
          .values({ hash: 'a'.repeat(64), token_id: old, rotated_at: T0, valid_until: T0 + HOUR })
          .execute();
        const now = T0 + 31 * DAY + HOUR;
        const n = recorder();
        assert.equal((await job(app, n, () => now).runOnce()).pruned, 2);
        assert.deepEqual(await tokenIds(app), [recent, forever, revoked, active].sort());
        const gone = await app.database.db.selectFrom('token_rotations').select('hash').execute();
        assert.equal(gone.length, 0);
        const records = await audits(app, 'token.pruned');
        assert.equal(records.length, 2);
        const r = records.find((x) => x.tokenId === old);
        assert.ok(r);
        assert.equal(r.category, 'tokens');
        assert.equal(r.author, '@lifecycle');
        assert.equal(r.affectedUser, 'frank');
        assert.equal(r.tokenDescription, 'old');
        assert.equal(r.nodeId, 'node-a');
        assert.deepEqual(r.details, { expiredAt: new Date(T0 + DAY).toISOString(), afterDays: 30 });
        assert.ok(
          records.some((x) => x.tokenId === oldRevoked),
          'revoked, then expired: pruned too',
        );
        // Nothing more until the recent one is 30 days past its expiry; null keeps expired tokens.
        assert.equal((await job(app, n, () => now).runOnce()).pruned, 0);
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.pruneExpiredAfterDays': null });
        assert.equal((await job(app, n, () => T0 + 100 * DAY).runOnce()).pruned, 0);
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.pruneExpiredAfterDays': 7 });
        assert.equal((await job(app, n, () => T0 + 17 * DAY + HOUR).runOnce()).pruned, 1);
        assert.deepEqual(await tokenIds(app), [forever, revoked, active].sort());
        assert.equal((await audits(app, 'token.pruned')).length, 3);
        assert.equal(n.notices.length, 0, 'pruning tells nobody');
      } finally {
        await close();
      }
    });

    it('revokes tokens unused for revokeUnusedAfterDays, audited once with reason "unused"', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'gina', null);
        const now = T0 + 100 * DAY;
        const never = await addToken(app, 'gina', 'never used', { expiresAt: null });
        const stale = await addToken(app, 'gina', 'stale', { expiresAt: null, lastUsedAt: now - 31 * DAY });
        const fresh1 = await addToken(app, 'gina', 'fresh', { expiresAt: null, lastUsedAt: now - 29 * DAY });
        const newer = await addToken(app, 'gina', 'new', { expiresAt: null, createdAt: now - 2 * DAY });
        await addToken(app, 'gina', 'revoked', { expiresAt: null, revoked: true });
        await addToken(app, 'gina', 'expired', { expiresAt: now - DAY });
        const lc = job(app, recorder(), () => now);
        assert.equal((await lc.runOnce()).revokedUnused, 0, 'off by default');
        await app.settings.update(CLI_PRINCIPAL, cli, {
          'tokens.revokeUnusedAfterDays': 30,
          'tokens.pruneExpiredAfterDays': null,
        });
        assert.equal((await lc.runOnce()).revokedUnused, 2);
        assert.equal((await lc.runOnce()).revokedUnused, 0);
        const records = (await audits(app, 'token.revoked')).filter((r) => r.details?.reason === 'unused');
        assert.deepEqual(records.map((r) => r.tokenId).sort(), [never, stale].sort());
        const r = records.find((x) => x.tokenId === stale);
        assert.ok(r);
        assert.equal(r.author, '@lifecycle');
        assert.equal(r.affectedUser, 'gina');
        assert.equal(r.details?.lastUsedAt, new Date(now - 31 * DAY).toISOString());
        assert.equal(r.details?.unusedDays, 30);
        assert.match(r.summary, /not used for 30 days/);
        const status = async (id: string) => (await app.store.tokens.findById(id))?.revokedBy ?? null;
        assert.equal(await status(never), '@lifecycle');
        assert.equal(await status(fresh1), null);
        assert.equal(await status(newer), null);
      } finally {
        await close();
      }
    });

    it("a deleted user's tokens go with the user, and the job never trips over them", async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'hank', 'hank@example.com');
        await addUser(app, 'ivy', 'ivy@example.com');
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.revokeUnusedAfterDays': 30 });
        const now = T0 + 40 * DAY;
        for (const u of ['hank', 'ivy']) {
          await addToken(app, u, `${u} expiring`, { expiresAt: now + DAY });
          await addToken(app, u, `${u} expired`, { expiresAt: T0 + DAY });
          await addToken(app, u, `${u} unused`, { expiresAt: null });
        }
        await app.users.delete(CLI_PRINCIPAL, cli, 'hank');
        const log = logger();
        // ivy is deleted while the job is under way: between its selecting her token and claiming it.
        const n: Notifier = {
          notify: async (x) => {
            if (x.owner.username !== 'ivy') await app.users.delete(CLI_PRINCIPAL, cli, 'ivy');
          },
          close: () => Promise.resolve(),
        };
        await addUser(app, 'jo', 'jo@example.com');
        await addToken(app, 'jo', 'jo expiring', { expiresAt: now + HOUR, lastUsedAt: now - DAY });
        const lc = job(app, n, () => now, { log });
        assert.deepEqual(await lc.runOnce(), { warned: 1, pruned: 0, revokedUnused: 0 });
        assert.deepEqual(await lc.runOnce(), { warned: 0, pruned: 0, revokedUnused: 0 });
        assert.deepEqual(
          log.lines.filter((l) => !l.startsWith('INFO')),
          [],
          'no error, no warning',
        );
        const left = await app.database.db.selectFrom('tokens').select('username').execute();
        assert.deepEqual(
          left.map((r) => r.username),
          ['jo'],
        );
        // The deletions themselves were audited by UserService.delete, one record per token.
        const deleted = (await app.store.audit.search({ category: 'tokens' }, 1000)).filter((r) =>
          ['hank', 'ivy'].includes(r.affectedUser ?? ''),
        );
        assert.equal(deleted.filter((r) => r.action === 'token.deleted').length, 6);
        assert.equal((await audits(app, 'token.pruned')).length, 0);
      } finally {
        await close();
      }
    });

    it('logs a failing database and resolves: the timer never sees an error', async () => {
      const { app, close } = await fresh(db);
      try {
        const down = (): Promise<never> => Promise.reject(new Error('database down'));
        const broken = Object.assign(Object.create(app.store) as Store, {
          lifecycle: { dueForWarning: down, expiredBefore: down, unusedSince: down },
        });
        await app.settings.update(CLI_PRINCIPAL, cli, { 'tokens.revokeUnusedAfterDays': 30 });
        const log = logger();
        const lc = job(app, recorder(), () => T0, { store: broken, log });
        assert.deepEqual(await lc.runOnce(), { warned: 0, pruned: 0, revokedUnused: 0 });
        assert.deepEqual(log.lines, [
          'ERROR token lifecycle: expiry warnings failed; it is tried again at the next run: database down',
          'ERROR token lifecycle: revoking unused tokens failed; it is tried again at the next run: database down',
          'ERROR token lifecycle: pruning expired tokens failed; it is tried again at the next run: database down',
        ]);
      } finally {
        await close();
      }
    });

    it('runs on its timer, and stop() ends it', async () => {
      const { app, close } = await fresh(db);
      try {
        await addUser(app, 'kim', 'kim@example.com');
        await addToken(app, 'kim', 'soon', { expiresAt: Date.now() + DAY });
        const n = recorder();
        const lc = job(app, n, Date.now, { intervalMs: 40, firstRunDelayMs: 0 });
        for (let i = 0; i < 100 && n.notices.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        await lc.stop();
        assert.equal(n.notices.length, 1);
        await addToken(app, 'kim', 'after stop', { expiresAt: Date.now() + DAY });
        await new Promise((r) => setTimeout(r, 150));
        assert.equal(n.notices.length, 1, 'no run after stop');
      } finally {
        await close();
      }
    });

    it('two nodes running the job at once: one warning, one deletion, one revocation per token', async () => {
      const { a, b, close } = await sharedPair(db);
      let restore = (): void => undefined;
      try {
        await addUser(a, 'lou', 'lou@example.com');
        await a.settings.update(CLI_PRINCIPAL, cli, { 'tokens.revokeUnusedAfterDays': 30 });
        await b.settings.reload();
        const now = T0 + 40 * DAY;
        const expiring: string[] = [];
        for (let i = 0; i < 25; i++) {
          expiring.push(
            await addToken(a, 'lou', `expiring ${i}`, { expiresAt: now + DAY, lastUsedAt: now - DAY }),
          );
          await addToken(a, 'lou', `expired ${i}`, { expiresAt: T0 + i * HOUR });
          await addToken(a, 'lou', `unused ${i}`, { expiresAt: null });
        }
        const [na, nb] = [recorder(), recorder()];
        // Counts the claims that found the warning already taken by the other node.
        const proto = TokenLifecycleRepo.prototype;
        let lost = 0;
        const original = proto.claimWarning;
        proto.claimWarning = async function (this: TokenLifecycleRepo, id: string, at: number) {
          const won = await original.call(this, id, at);
          if (!won) lost++;
          return won;
        };
        restore = () => {
          proto.claimWarning = original;
        };
        const ja = job(a, na, () => now, { batchSize: 10 });
        const jb = job(b, nb, () => now, { batchSize: 10 });
        const total = { warned: 0, pruned: 0, revokedUnused: 0 };
        for (let round = 0; round < 10; round++) {
          const runs = await Promise.all([ja.runOnce(), jb.runOnce()]);
          for (const r of runs) {
            total.warned += r.warned;
            total.pruned += r.pruned;
            total.revokedUnused += r.revokedUnused;
          }
        }
        assert.deepEqual(total, { warned: 25, pruned: 25, revokedUnused: 25 });
        const sent = [...na.notices, ...nb.notices].map((x) => x.token.id);
        assert.equal(sent.length, 25, 'one notice per token');
        assert.deepEqual([...new Set(sent)].sort(), [...expiring].sort());
        assert.equal((await audits(a, 'token.expiry-warned')).length, 25);
        assert.equal((await audits(a, 'token.pruned')).length, 25);
        const revoked = (await audits(a, 'token.revoked')).filter((r) => r.details?.reason === 'unused');
        assert.equal(revoked.length, 25);
        assert.equal(new Set(revoked.map((r) => r.tokenId)).size, 25);
        // The nodes did compete: some claims found the warning already taken (else this proved nothing).
        assert.ok(lost > 0, 'no claim was ever lost: the two jobs did not overlap');
      } finally {
        restore();
        await close();
      }
    });
  });
}

describe('token lifecycle on a running node', () => {
  it('a token revoked as unused gets 401 at the gateway at once', async () => {
    const up = await startEchoUpstream();
    const t = await startTestNode(up.url);
    try {
      const ctx = t.node.ctx;
      await ctx.users.create(CLI_PRINCIPAL, cli, { username: 'max' });
      const { token, id } = await t.tokenFor('max', { description: 'nightly sync' });
      const get = () => fetch(`${t.url}/data`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await get()).status, 200);
      assert.equal((await get()).status, 200, 'cached now');
      await t.settings({ 'tokens.revokeUnusedAfterDays': 30 });
      const lc = startTokenLifecycle({
        store: ctx.store,
        tokens: ctx.tokens,
        settings: ctx.settings,
        notifier: noNotifier,
        log: logger(),
        nodeId: ctx.config.nodeId,
        now: () => Date.now() + 31 * DAY,
        feed: ctx.feed,
        intervalMs: 0,
      });
      assert.equal((await lc.runOnce()).revokedUnused, 1);
      const res = await get();
      assert.equal(res.status, 401);
      const records = await ctx.store.audit.search({ action: 'token.revoked', tokenId: id }, 10);
      assert.equal(records.length, 1);
      assert.equal(records[0]?.details?.reason, 'unused');
      assert.equal(records[0]?.author, '@lifecycle');
      const stored = await ctx.store.tokens.findById(id);
      assert.equal(stored?.revokedBy, '@lifecycle');
    } finally {
      await t.close();
      await up.close();
    }
  });
});
