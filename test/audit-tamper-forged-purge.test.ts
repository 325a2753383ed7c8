/**
 * Red team round two, F4: whoever can write the database deletes young records and appends a
 * correctly hashed `audit.purged` record that claims a retention purge removed them. The chain links
 * (the checkpoint carries the last deleted hash), so only time and counts can tell: anchors written
 * outside the database say when records existed, and a purge record must agree with its own floor
 * and with its own maxRows. Each test forges a copy of one seeded database, as /tmp/rt/forge.mjs did.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { chainContent, chainFieldsJson, recordHash } from '../src/domain/audit/chain.js';
import { auditEvent, purgeEvent, type AuditEvent, type PurgeDetails } from '../src/domain/audit/audit.js';
import { silentLogger } from '../src/log/logger.js';
import { systemContext } from '../src/services/context.js';
import { inProcessCli } from './support/cli.js';

const ADMIN_PASSWORD = 'forged-purge-admin-password';
const MINUTE = 60_000;
const DAY = 86_400_000;

/** Runs the CLI in this process against a data dir; returns the exit code and what it printed. */
const cli = inProcessCli(ADMIN_PASSWORD);

/** Appends `count` records, the i-th at `at(i)`; returns the head seq. */
async function seed(dataDir: string, count: number, at: (i: number) => number): Promise<number> {
  const ctx = await openApp(loadConfig({ dataDir }, { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }, 'cli'), {
    log: silentLogger,
    now: () => at(0),
  });
  try {
    const events: AuditEvent[] = Array.from({ length: count }, (_, i) =>
      auditEvent(systemContext('mallory'), 'forge-node', at(i), {
        category: 'users',
        action: 'user.created',
        summary: `User backdoor${i} created`,
      }),
    );
    await ctx.store.transaction((tx) => tx.audit.append(events));
    return (await ctx.store.audit.head())?.seq ?? 0;
  } finally {
    await ctx.close();
  }
}

interface Row {
  seq: number;
  ts: number;
  hash: string;
}

/**
 * What /tmp/rt/forge.mjs does: deletes records 1..upto, leaves a checkpoint at upto, appends a
 * correctly hashed purge record at `ts` saying what `details` says, and moves the head row.
 */
function forge(dataDir: string, upto: number, ts: number, details: Partial<PurgeDetails> = {}): void {
  const db = new Database(join(dataDir, 'tokengate.db'));
  try {
    const first = db.prepare('select seq, ts, hash from audit_log order by seq limit 1').get() as Row;
    const last = db.prepare('select seq, ts, hash from audit_log where seq = ?').get(upto) as Row;
    const head = db.prepare('select seq, hash from audit_chain where id = 1').get() as Row;
    const d: PurgeDetails = {
      reason: 'maxRows',
      purged: upto - first.seq + 1,
      fromSeq: first.seq,
      toSeq: upto,
      firstHash: first.hash,
      lastHash: last.hash,
      retentionDays: 1,
      maxRows: 1000,
      floorDays: 90,
      retentionDaysSetBy: 'admin',
      maxRowsSetBy: 'admin',
      ...details,
    };
    const c = chainContent(purgeEvent(d, 'vm:18080', ts));
    const seq = head.seq + 1;
    const h = recordHash(head.hash, c);
    db.transaction(() => {
      db.prepare('delete from audit_log where seq <= ?').run(upto);
      db.prepare('insert into audit_checkpoints (seq, hash, created_at, purged) values (?,?,?,?)').run(
        upto,
        last.hash,
        ts,
        d.purged,
      );
      // The hashed fields, in the chain's order (the columns above follow it), then the links.
      db.prepare(
        `insert into audit_log (ts,category,action,summary,author,affected_user,token_id,token_description,source_ip,proxy_ip,node_id,request_id,method,endpoint,outcome,details,seq,prev_hash,hash)
         values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      ).run(...(JSON.parse(chainFieldsJson(c)) as unknown[]), seq, head.hash, h);
      db.prepare('update audit_chain set seq = ?, hash = ? where id = 1').run(seq, h);
    })();
  } finally {
    db.close();
  }
}

function hashOf(dataDir: string, seq: number): string {
  const db = new Database(join(dataDir, 'tokengate.db'), { readonly: true });
  try {
    return (db.prepare('select hash from audit_log where seq = ?').get(seq) as Row).hash;
  } finally {
    db.close();
  }
}

describe('a forged purge record does not pass audit verify (red team F4)', () => {
  let root: string;
  /** Records written minutes ago, one a minute: young under any floor. */
  let young: string;
  let youngHead = 0;
  /** Records written 100 days ago: old enough for a 90-day floor. */
  let old: string;
  let oldHead = 0;
  const now = Date.now();
  const youngAt = (i: number) => now - 40 * MINUTE + i * MINUTE;
  const oldAt = (i: number) => now - 100 * DAY + i * MINUTE;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tg-forged-purge-'));
    young = join(root, 'young');
    youngHead = await seed(young, 30, youngAt);
    old = join(root, 'old');
    oldHead = await seed(old, 30, oldAt);
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  function copy(from: string, name: string): string {
    const d = join(root, name);
    cpSync(from, d, { recursive: true });
    return d;
  }

  /** An anchor file naming `seq` (with its real hash) at `time`, plus one at the head now. */
  function anchorFile(d: string, name: string, seq: number, time: number): string {
    const file = join(root, `${name}.jsonl`);
    const line = (s: number, t: number) =>
      JSON.stringify({ time: new Date(t).toISOString(), node: 'n1', seq: s, hash: hashOf(d, s), records: s });
    writeFileSync(file, `${line(seq, time)}\n`);
    return file;
  }

  it('fails when an anchor shows the purged records were younger than the floor', async () => {
    const d = copy(young, 'anchored');
    // Anchored when record 4 was the head; records 5..13 were written after it, minutes ago.
    const file = anchorFile(d, 'anchored', 4, youngAt(3) + 30_000);
    forge(d, 13, now);
    const r = await cli(d, 'audit', 'verify', '--anchors', file);
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      new RegExp(
        `audit chain broken at seq ${youngHead + 1}: modified: .*purge at #${youngHead + 1}.*anchor of .* names record 4.*floor of 90 days`,
      ),
    );
  });

  it('fails when the purge record says its newest record was younger than its own floor', async () => {
    const d = copy(young, 'self');
    forge(d, 13, now, { newestTs: youngAt(12) });
    const r = await cli(d, 'audit', 'verify');
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      new RegExp(`audit chain broken at seq ${youngHead + 1}: modified: .*younger than .*floor`),
    );
  });

  it('fails when the purge record claims an age an anchor contradicts', async () => {
    const d = copy(young, 'lying-age');
    const file = anchorFile(d, 'lying-age', 4, youngAt(3) + 30_000);
    forge(d, 13, now, { newestTs: now - 200 * DAY });
    const r = await cli(d, 'audit', 'verify', '--anchors', file);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /anchor of .* names record 4/);
  });

  it('fails when a maxRows purge leaves more old records than its maxRows allows', async () => {
    const d = copy(old, 'maxrows');
    // 30 records, all past the 90-day floor: a purge under maxRows=10 leaves 10, not 26.
    forge(d, 5, now, { maxRows: 10 });
    const r = await cli(d, 'audit', 'verify');
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      new RegExp(
        `audit chain broken at seq ${oldHead + 1}: modified: .*left ${oldHead - 5} records.*maxRows=10`,
      ),
    );
  });

  it('names the anchors a real purge covered, and the purge', async () => {
    const d = copy(old, 'real');
    // Written while record 3 was the head (records are a minute apart, record 3 at index 2).
    const file = anchorFile(d, 'real', 3, oldAt(2) + 30_000);
    const ctx = await openApp(
      loadConfig({ dataDir: d }, { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }, 'cli'),
      {
        log: silentLogger,
      },
    );
    try {
      await ctx.store.transaction((tx) =>
        tx.audit.purgeBatch({
          before: 0,
          floor: now - 90 * DAY,
          maxRows: 20,
          limit: 5_000,
          now,
          nodeId: 'n1',
          retentionDays: 1095,
          floorDays: 90,
        }),
      );
    } finally {
      await ctx.close();
    }
    const r = await cli(d, 'audit', 'verify', '--anchors', file);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`purge at #${oldHead + 1}: 11 records #1..#11 removed`));
    assert.match(
      r.out,
      new RegExp(
        `0 of 1 anchor\\(s\\) in .* matched; the anchor of .* \\(#3\\) was purged by the purge at #${oldHead + 1}`,
      ),
    );
  });
});
