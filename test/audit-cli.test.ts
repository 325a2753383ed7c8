import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { openApp } from '../src/app.js';
import { auditRecordView, parseAuditCsv, type AuditRecordView } from '../src/audit/export.js';
import { loadConfig } from '../src/config/config.js';
import { auditEvent, type AuditEvent } from '../src/domain/audit/audit.js';
import { silentLogger } from '../src/log/logger.js';
import { systemContext } from '../src/services/context.js';
import { inProcessCli } from './support/cli.js';
import { withSqlite } from './support/sqlite.js';

const ADMIN_PASSWORD = 'audit-cli-admin-password';
const MARCH = Date.parse('2024-03-01T00:00:00.000Z');
const HOUR = 3_600_000;

/** Runs the CLI in this process against a data dir; returns the exit code and what it printed. */
const cli = inProcessCli(ADMIN_PASSWORD);

/** Opens the data dir's database with the services, for setup the CLI cannot do. */
async function withStore<T>(dataDir: string, fn: (ctx: Awaited<ReturnType<typeof openApp>>) => Promise<T>) {
  const ctx = await openApp(loadConfig({ dataDir }, { TOKENGATE_ADMIN_PASSWORD: ADMIN_PASSWORD }, 'cli'), {
    log: silentLogger,
  });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/** Authentication events as the gateway would record them, six hours apart through March 2024. */
function events(count: number): AuditEvent[] {
  return Array.from({ length: count }, (_, i) =>
    auditEvent(
      {
        ...systemContext(i % 2 === 0 ? 'erin' : 'anonymous'),
        sourceIp: i % 3 === 0 ? '203.0.113.5' : '198.51.100.20',
        proxyIp: i % 3 === 1 ? '10.0.0.2' : null,
        requestId: `r${i}`,
        method: 'GET',
        endpoint: '/v1/data',
      },
      i % 2 === 0 ? 'node-x' : 'node-y',
      MARCH + i * 6 * HOUR,
      {
        category: 'authentication',
        action: i % 2 === 0 ? 'auth.success' : 'auth.failed',
        summary: i % 4 === 0 ? `Needle, "in" a\nhaystack ${i}` : `request ${i}`,
        affectedUser: i % 2 === 0 ? 'erin' : null,
        tokenId: i % 2 === 0 ? 'tok_erin1' : null,
        tokenDescription: i % 2 === 0 ? 'erin, laptop' : null,
        outcome: i % 2 === 0 ? 'success' : 'no_valid_token',
        details:
          i % 5 === 0 ? null : { scope: 'read', limit: { requests: 5, windowSeconds: 60 }, note: '"x",y' },
      },
    ),
  );
}

function jsonLines(text: string): AuditRecordView[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AuditRecordView);
}

describe('tokengate audit (CLI)', () => {
  let root: string;
  let dir: string;
  let all: AuditRecordView[];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tg-audit-cli-'));
    dir = join(root, 'base');
    assert.equal((await cli(dir, 'init')).code, 0);
    assert.equal((await cli(dir, 'user', 'add', 'erin', '--group', 'dev')).code, 0);
    assert.equal(
      (await cli(dir, 'token', 'create', '--user', 'erin', '--description', 'erin, "ci" job')).code,
      0,
    );
    await withStore(dir, (ctx) => ctx.store.transaction((tx) => tx.audit.append(events(60))));
    const r = await cli(dir, 'audit', 'list', '--json', '--limit', '10000');
    assert.equal(r.code, 0, r.err);
    all = jsonLines(r.out);
    assert.ok(all.length >= 63);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('list', () => {
    it('prints a table, newest first, with the chain position', async () => {
      const r = await cli(dir, 'audit', 'list', '--limit', '5');
      assert.equal(r.code, 0, r.err);
      const lines = r.out.trim().split('\n');
      assert.match(
        lines[0] ?? '',
        /^SEQ\s+DATE \(UTC\)\s+AUTHOR\s+CATEGORY\s+ACTION\s+TOKEN\s+SOURCE IP\s+SUMMARY$/,
      );
      assert.equal(lines.length, 6);
      // Newest first by time: the CLI's own records of today, before the appended ones of 2024.
      assert.match(lines[1] ?? '', new RegExp(`^${all[0]?.seq}\\s+${all[0]?.time}`));
    });

    it('prints every field as JSON lines, the same as the store holds', async () => {
      const stored = await withStore(dir, (ctx) => ctx.store.audit.search({}, 100_000));
      assert.deepEqual(all, stored.map(auditRecordView));
      assert.ok(all.some((a) => a.author === '@cli' && a.action === 'token.created'));
    });

    const cases: Array<[string[], (a: AuditRecordView) => boolean]> = [
      [
        ['--from', '2024-03-05', '--to', '2024-03-07'],
        (a) => a.time >= '2024-03-05T00:00:00.000Z' && a.time <= '2024-03-07T23:59:59.999Z',
      ],
      [['--from', '2024-03-10T12:00:00Z'], (a) => a.time >= '2024-03-10T12:00:00.000Z'],
      [
        ['--from', '2024-03-10T14:00:00+02:00', '--to', '2024-03-11T00:00'],
        (a) => a.time >= '2024-03-10T12:00:00.000Z' && a.time <= '2024-03-11T00:00:00.000Z',
      ],
      [['--author', 'anonymous'], (a) => a.author === 'anonymous'],
      [['--author', '@cli'], (a) => a.author === '@cli'],
      [['--category', 'users'], (a) => a.category === 'users'],
      [['--action', 'auth.failed'], (a) => a.action === 'auth.failed'],
      [['--user', 'erin'], (a) => a.affectedUser === 'erin'],
      [['--token', 'tok_erin1'], (a) => a.tokenId === 'tok_erin1'],
      [['--ip', '203.0.113.5'], (a) => a.sourceIp === '203.0.113.5'],
      [['--ip', '10.0.0.2'], (a) => a.proxyIp === '10.0.0.2'],
      [['--node', 'node-y'], (a) => a.nodeId === 'node-y'],
      [['--q', 'NEEDLE'], (a) => a.summary.toLowerCase().includes('needle')],
      [['--q', '"ci" job'], (a) => (a.tokenDescription ?? '').includes('"ci" job')],
      [
        ['--node', 'node-x', '--ip', '203.0.113.5', '--from', '2024-03-08'],
        (a) => a.nodeId === 'node-x' && a.sourceIp === '203.0.113.5' && a.time >= '2024-03-08',
      ],
    ];
    for (const [args, pred] of cases) {
      it(`narrows by ${args.join(' ')}`, async () => {
        const expected = all.filter(pred).map((a) => a.seq);
        assert.ok(expected.length > 0 && expected.length < all.length, `${expected.length}`);
        const r = await cli(dir, 'audit', 'list', '--json', '--limit', '10000', ...args);
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(
          jsonLines(r.out).map((a) => a.seq),
          expected,
        );
      });
    }

    it('honours --limit and refuses bad filter values, naming the flag', async () => {
      const three = await cli(dir, 'audit', 'list', '--json', '--limit', '3', '--action', 'auth.success');
      assert.deepEqual(
        jsonLines(three.out).map((a) => a.seq),
        all
          .filter((a) => a.action === 'auth.success')
          .slice(0, 3)
          .map((a) => a.seq),
      );
      const bad: Array<[string[], RegExp]> = [
        [['--limit', '0'], /--limit/],
        [['--limit', '2x'], /--limit/],
        [['--from', 'yesterday'], /--from: must be an ISO 8601 date/],
        [['--to', '2024-02-30'], /--to/],
        [['--from', '2024-03-01T25:00Z'], /--from/],
        [['--from', '2024-03-02', '--to', '2024-03-01'], /--to: is before --from/],
        [['--category', 'nope'], /--category: must be one of/],
        [['--ip', 'nope'], /--ip/],
        [['--user', ''], /--user: must not be empty/],
      ];
      for (const [args, message] of bad) {
        const r = await cli(dir, 'audit', 'list', ...args);
        assert.equal(r.code, 65, args.join(' '));
        assert.match(r.err, message);
        assert.equal(r.out, '');
      }
    });
  });

  describe('export', () => {
    it('writes CSV to a file that parses back to the same records', async () => {
      const file = join(root, 'all.csv');
      const r = await cli(dir, 'audit', 'export', '--format', 'csv', '--out', file);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, '');
      assert.equal(r.err.trim(), `exported ${all.length} records to ${file}`);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const parsed = parseAuditCsv(readFileSync(file, 'utf8'));
      assert.deepEqual(parsed.map(auditRecordView), all);
    });

    it('writes JSON lines to a file that parse back to the same records', async () => {
      const file = join(root, 'all.jsonl');
      const r = await cli(dir, 'audit', 'export', '--format', 'jsonl', '--out', file);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err.trim(), `exported ${all.length} records to ${file}`);
      const text = readFileSync(file, 'utf8');
      assert.ok(text.endsWith('}\n'));
      assert.deepEqual(jsonLines(text), all);
    });

    it('applies the same filters, and replaces an existing file', async () => {
      const file = join(root, 'filtered.csv');
      for (const args of [
        ['--node', 'node-x'],
        ['--q', 'needle', '--to', '2024-03-10'],
      ]) {
        const r = await cli(dir, 'audit', 'export', '--format', 'csv', '--out', file, ...args);
        assert.equal(r.code, 0, r.err);
        const list = jsonLines((await cli(dir, 'audit', 'list', '--json', '--limit', '10000', ...args)).out);
        assert.ok(list.length > 0 && list.length < all.length);
        assert.deepEqual(parseAuditCsv(readFileSync(file, 'utf8')).map(auditRecordView), list);
        assert.equal(r.err.trim(), `exported ${list.length} records to ${file}`);
      }
    });

    it('streams to standard output without --out, or with --out -', async () => {
      const csv = await cli(dir, 'audit', 'export', '--format', 'csv', '--category', 'authentication');
      assert.equal(csv.code, 0, csv.err);
      const expected = all.filter((a) => a.category === 'authentication');
      assert.deepEqual(parseAuditCsv(csv.out).map(auditRecordView), expected);
      assert.equal(csv.err.trim(), `exported ${expected.length} records to standard output`);
      const jsonl = await cli(dir, 'audit', 'export', '--format', 'jsonl', '--out', '-');
      assert.deepEqual(jsonLines(jsonl.out), all);
    });

    it('refuses a missing or unknown format and bad filters, writing nothing', async () => {
      const file = join(root, 'never.csv');
      for (const [args, message, exit] of [
        [[], /--format: is required/, 64],
        [['--format', 'xml'], /--format: must be csv or jsonl/, 65],
        [['--format', 'csv', '--from', 'soon'], /--from/, 65],
      ] as Array<[string[], RegExp, number]>) {
        const r = await cli(dir, 'audit', 'export', '--out', file, ...args);
        assert.equal(r.code, exit);
        assert.match(r.err, message);
        assert.throws(() => statSync(file), /ENOENT/);
      }
    });
  });

  describe('verify', () => {
    /** A copy of the base data dir to tamper with. */
    function copy(name: string): string {
      const d = join(root, name);
      cpSync(dir, d, { recursive: true });
      // Node 22's cpSync makes the copy with the umask's mode, Node 20's with the source's: keep the
      // data directory private as serve made it, or the CLI (rightly) warns and fixes it on stderr.
      chmodSync(d, statSync(dir).mode & 0o777);
      return d;
    }

    /** The chain head: the highest seq (the list is ordered by time, not by seq). */
    const headSeq = (): number => Math.max(...all.map((a) => a.seq));

    it('passes an untouched log and exits 0', async () => {
      const r = await cli(dir, 'audit', 'verify');
      assert.equal(r.code, 0, r.err);
      const head = headSeq();
      assert.equal(r.out.trim(), `audit chain verified: ${head} records from seq 1 to ${head}`);
    });

    const middle = () => all[Math.floor(all.length / 2)]?.seq ?? 0;
    const tamperings: Array<
      [string, string, (db: Database.Database, seq: number) => void, (seq: number) => number]
    > = [
      [
        'a modified summary',
        'modified',
        (db, seq) => db.prepare('update audit_log set summary = ? where seq = ?').run('all quiet', seq),
        (seq) => seq,
      ],
      [
        'modified details',
        'modified',
        (db, seq) => db.prepare(`update audit_log set details = '{"scope":"write"}' where seq = ?`).run(seq),
        (seq) => seq,
      ],
      [
        'a deleted middle record',
        'deleted',
        (db, seq) => db.prepare('delete from audit_log where seq = ?').run(seq),
        (seq) => seq,
      ],
      [
        'two records with swapped seq',
        'reordered',
        (db, seq) => {
          const swap = db.prepare('update audit_log set seq = ? where seq = ?');
          db.transaction(() => {
            swap.run(-1, seq);
            swap.run(seq, seq + 1);
            swap.run(seq + 1, -1);
          })();
        },
        (seq) => seq,
      ],
      [
        'the newest record deleted',
        'deleted',
        (db) => db.prepare('delete from audit_log where seq = (select max(seq) from audit_log)').run(),
        () => headSeq(),
      ],
    ];
    for (const [name, kind, tamper, at] of tamperings) {
      it(`exits 1 and names ${kind} at the right seq after ${name}`, async () => {
        const d = copy(name.replace(/\W+/g, '-'));
        const seq = middle();
        withSqlite(d, (db) => tamper(db, seq));
        const r = await cli(d, 'audit', 'verify');
        assert.equal(r.code, 1, r.out);
        assert.equal(r.err, '');
        const line = r.out.trim();
        assert.match(line, new RegExp(`^audit chain broken at seq ${at(seq)}: ${kind}: \\S`));
        assert.equal(line.split('\n').length, 1);
      });
    }

    it('still passes after a retention purge, from the checkpoint', async () => {
      const d = copy('purged');
      const purged = await withStore(d, (ctx) =>
        ctx.store.transaction((tx) =>
          tx.audit.purgeBatch({
            before: 0,
            floor: Number.MAX_SAFE_INTEGER,
            maxRows: all.length - 10,
            limit: 1000,
            now: Date.now(),
            nodeId: 'cli-test',
            retentionDays: 1095,
            floorDays: 0,
          }),
        ),
      );
      // Ten beyond maxRows and one more for the purge record, which verify reports.
      assert.equal(purged.purged, 11);
      const r = await cli(d, 'audit', 'verify');
      assert.equal(r.code, 0, r.out);
      const head = headSeq() + 1;
      assert.equal(
        r.out.trim(),
        [
          `purge at #${head}: 11 records #1..#11 removed under audit.maxRows=${all.length - 10} set by default (floor 0 days)`,
          `audit chain verified: ${head - 11} records from seq 12 to ${head} (continuing from the retention checkpoint at seq 11)`,
        ].join('\n'),
      );
    });

    it('verifies a new log', async () => {
      const d = join(root, 'new');
      assert.equal((await cli(d, 'init')).code, 0);
      const r = await cli(d, 'audit', 'verify');
      assert.equal(r.code, 0, r.out);
      // The first start records the admin's creation, so the log holds one record.
      assert.equal(r.out.trim(), 'audit chain verified: 1 record from seq 1 to 1');
    });
  });
});
