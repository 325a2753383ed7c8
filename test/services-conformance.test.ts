import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assembleApp, type AppContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { AppError } from '../src/domain/errors.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { hashToken } from '../src/domain/token/hash.js';
import { silentLogger } from '../src/log/logger.js';
import { systemContext } from '../src/services/context.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import { openPostgres, PG_URL, testDatabases } from './support/databases.js';

/**
 * The services on every database, with two "nodes" (two app contexts, two connection pools) sharing
 * one database: limits hold under concurrency, and a change on one node reaches the other's cache.
 */
const cli = systemContext('@cli');

for (const db of await testDatabases()) {
  describe(`services on ${db.name}, two nodes sharing one database`, { skip: db.skip }, () => {
    let a: AppContext;
    let b: AppContext;
    let handles: DatabaseHandle[] = [];
    let dir: string | undefined;

    before(async () => {
      if (db.name === 'sqlite') {
        // better-sqlite3 is synchronous: two connections in one process would block each other's
        // event loop while waiting for the lock. Two nodes in one process share one connection, as
        // two processes share the file (test/cli.test.ts covers separate processes).
        dir = mkdtempSync(join(tmpdir(), 'tg-nodes-'));
        const shared = await openDatabase({ url: join(dir, 'shared.db') });
        handles = [shared];
      } else {
        const first = await openPostgres();
        const row = await first.db
          .selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s'))
          .executeTakeFirstOrThrow();
        // The second pool joins the first one's schema.
        handles = [first, await openDatabase({ url: PG_URL, schema: row.s })];
      }
      const config = (nodeId: string) => loadConfig({ db: ':memory:', nodeId }, {});
      a = await assembleApp(config('node-a'), handles[0] as DatabaseHandle, { log: silentLogger });
      b = await assembleApp(config('node-b'), (handles[1] ?? handles[0]) as DatabaseHandle, {
        log: silentLogger,
      });
      await a.feed.start(60_000);
      await b.feed.start(60_000);
      await a.users.create(CLI_PRINCIPAL, cli, { username: 'alice', groups: ['dev'] });
    });

    after(async () => {
      a.feed.stop();
      b.feed.stop();
      // Close the second pool first: the first one drops the PostgreSQL schema.
      await handles[1]?.close();
      await handles[0]?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('holds tokens.maxPerUser under concurrent creation', async () => {
      await a.users.create(CLI_PRINCIPAL, cli, { username: 'race' });
      await a.settings.update(CLI_PRINCIPAL, cli, { 'tokens.maxPerUser': 3 });
      try {
        await b.settings.reload();
        const attempts = Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? a : b).tokens.create(CLI_PRINCIPAL, cli, 'race', { description: `t${i}` }),
        );
        const results = await Promise.allSettled(attempts);
        const ok = results.filter((r) => r.status === 'fulfilled').length;
        const refused = results.filter((r) => r.status === 'rejected');
        assert.equal(ok, 3);
        for (const r of refused) {
          const reason = r.reason as unknown;
          assert.ok(reason instanceof AppError && reason.code === 'policy_violation', String(reason));
        }
        assert.equal(await a.store.tokens.countActive('race', Date.now()), 3);
      } finally {
        await a.settings.update(CLI_PRINCIPAL, cli, { 'tokens.maxPerUser': 10 });
      }
    });

    it("evicts a token revoked on node A from node B's cache when B reads the change feed", async () => {
      const { token } = await a.tokens.create(CLI_PRINCIPAL, cli, 'alice', {
        description: 'shared',
        scope: 'write',
      });
      const hash = hashToken(token);
      const warm = await b.cache.token(hash, Date.now());
      assert.equal(warm?.token.revokedAt, null);
      const [id] = [warm?.token.id ?? ''];
      await a.tokens.revoke(CLI_PRINCIPAL, cli, id, true);
      // Still cached on B until B reads the feed: that is the documented propagation delay.
      assert.equal((await b.cache.token(hash, Date.now()))?.token.revokedAt, null);
      assert.ok((await b.feed.poll()) > 0);
      assert.notEqual((await b.cache.token(hash, Date.now()))?.token.revokedAt, null);
    });

    it("evicts a user disabled on node A from node B's cache, and reloads settings changed on A", async () => {
      assert.equal((await b.cache.user('alice', Date.now()))?.disabled, false);
      await a.users.update(CLI_PRINCIPAL, cli, 'alice', { disabled: true });
      await a.settings.update(CLI_PRINCIPAL, cli, { 'auth.basicPasswords': false });
      await b.feed.poll();
      assert.equal((await b.cache.user('alice', Date.now()))?.disabled, true);
      // The settings reload runs on the notice; give it a moment to finish.
      for (let i = 0; i < 50 && b.settings.current['auth.basicPasswords']; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(b.settings.current['auth.basicPasswords'], false);
      await a.users.update(CLI_PRINCIPAL, cli, 'alice', { disabled: false });
      await a.settings.update(CLI_PRINCIPAL, cli, { 'auth.basicPasswords': true });
    });

    it('bootstraps the admin exactly once, even when two nodes start together', async () => {
      // Users exist already, so neither node creates another admin.
      const [ra, rb] = await Promise.all([
        a.users.bootstrapAdmin('first-password'),
        b.users.bootstrapAdmin('second-password'),
      ]);
      assert.equal(ra.created || rb.created, false);
    });
  });
}
