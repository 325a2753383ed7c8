import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from '../src/store/kysely.js';
import { openDatabase } from '../src/store/database.js';
import * as m0001 from '../src/store/migrations/0001_initial.js';
import * as m0002 from '../src/store/migrations/0002_audit_chain.js';
import * as m0003 from '../src/store/migrations/0003_sessions_stats.js';
import * as m0004 from '../src/store/migrations/0004_nodes.js';
import * as m0005 from '../src/store/migrations/0005_audit_search_indexes.js';
import * as m0006 from '../src/store/migrations/0006_token_lifecycle.js';
import * as m0007 from '../src/store/migrations/0007_secret_issuer.js';
import type { Database, TokensTable } from '../src/store/schema.js';
import { Store } from '../src/store/store.js';
import { T0, user } from './support/store-fixtures.js';

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
