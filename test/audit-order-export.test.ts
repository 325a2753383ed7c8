import assert from 'node:assert/strict';
import { CompiledQuery } from '../src/store/kysely.js';
import { after, before, describe, it } from 'node:test';
import {
  AUDIT_CSV_COLUMNS,
  auditCsvHeader,
  auditCsvRow,
  iterateAudit,
  parseAuditCsv,
} from '../src/audit/export.js';
import { auditEvent, type AuditRecord } from '../src/domain/audit/audit.js';
import { systemContext } from '../src/services/context.js';
import type { AuditFilter, AuditPosition } from '../src/store/audit-repo.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { call, harness, type Harness } from './support/harness.js';
import {
  admin,
  allRecords,
  appendEvents,
  fieldsOf,
  MARCH,
  search,
  syntheticEvents,
  type ErrorBody,
  type Page,
} from './support/audit-api.js';

/**
 * The audit log's order (by time, seq breaking a tie), its indexes, the export at volume and the CSV
 * format. The audit API's route tests are beside the route, in src/http/api/routes/admin-audit*.test.ts.
 */

describe('audit list order: by time, not by seq (issue 15)', () => {
  let h: Harness;
  const T = Date.parse('2024-05-01T12:00:00.000Z');
  const NODE = 'order-node';
  /** Appended in this (seq) order; their times say otherwise. */
  const written = [
    { ts: T + 2000, action: 'token.revoked', summary: 'revoked at :02' },
    { ts: T + 1000, action: 'auth.success', summary: 'queued success at :01, written after the revocation' },
    { ts: T + 1000, action: 'auth.failed', summary: 'failure in the same millisecond, written last but one' },
    { ts: T + 1500, action: 'settings.changed', summary: 'settings at :01.5' },
  ];
  /** Newest first by time; the two records of :01 by seq, the later-written first. */
  const byTime = [
    'revoked at :02',
    'settings at :01.5',
    'failure in the same millisecond, written last but one',
    'queued success at :01, written after the revocation',
  ];

  before(async () => {
    h = await harness();
    await appendEvents(
      h,
      written.map((w) =>
        auditEvent(systemContext('admin'), NODE, w.ts, {
          category: w.action.startsWith('auth.') ? 'authentication' : 'tokens',
          action: w.action,
          summary: w.summary,
        }),
      ),
    );
  });
  after(() => h.close());

  const pages = async (limit: number): Promise<{ summaries: string[]; pages: number }> => {
    const summaries: string[] = [];
    let cursor: string | null = null;
    let n = 0;
    do {
      const r = await search(h, { nodeId: NODE, limit, ...(cursor !== null ? { cursor } : {}) });
      assert.equal(r.statusCode, 200, r.body);
      const page = r.data as Page;
      summaries.push(...page.items.map((i) => i.summary));
      cursor = page.nextCursor;
      n++;
    } while (cursor !== null && n <= written.length);
    return { summaries, pages: n };
  };

  it('lists records newest first by time, seq breaking a tie, and each time says UTC', async () => {
    const r = await search(h, { nodeId: NODE });
    const items = (r.data as Page).items;
    assert.deepEqual(
      items.map((i) => i.summary),
      byTime,
    );
    const seqs = items.map((i) => i.seq);
    assert.notDeepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
      'not the seq order',
    );
    for (const i of items) assert.match(i.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('pages across the time boundary and inside a tie without gaps or repeats', async () => {
    // limit 3 ends the first page between the two records of the same millisecond.
    for (const limit of [1, 2, 3]) {
      const got = await pages(limit);
      assert.deepEqual(got.summaries, byTime, `limit ${limit}`);
      assert.equal(got.pages, Math.ceil(byTime.length / limit), `limit ${limit}`);
    }
  });

  it('the store, the export and iterateAudit (the CLI) use the same order', async () => {
    assert.deepEqual(
      (await h.ctx.store.audit.search({ nodeId: NODE }, 10)).map((r) => r.summary),
      byTime,
    );
    const jsonl = await call(h.api, {
      method: 'GET',
      url: `/admin/audit/export?format=jsonl&nodeId=${NODE}`,
      auth: admin,
    });
    assert.equal(jsonl.statusCode, 200, jsonl.body);
    assert.deepEqual(
      jsonl.body
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { summary: string }).summary),
      byTime,
    );
    const lazily: string[] = [];
    for await (const rec of iterateAudit(h.ctx.store, { nodeId: NODE }, 1)) lazily.push(rec.summary);
    assert.deepEqual(lazily, byTime);
  });

  it('refuses a cursor of the seq-only order with a 400 that says so', async () => {
    const old = Buffer.from('3').toString('base64url');
    const r = await search(h, { nodeId: NODE, cursor: old });
    assert.equal(r.statusCode, 400, r.body);
    assert.deepEqual(fieldsOf(r.data), ['query.cursor']);
    assert.match((r.data as ErrorBody).error.message, /earlier version.*without a cursor/);
  });
});

describe('audit list order: indexes (issue 15)', () => {
  let handle: DatabaseHandle;
  let store: Store;

  before(async () => {
    handle = await openDatabase({ url: ':memory:' });
    store = Store.from(handle);
  });
  after(() => handle.close());

  /** SQLite's plan for a page of the search: one line per step. */
  const plan = async (filter: AuditFilter, after?: AuditPosition): Promise<string[]> => {
    const q = store.audit.searchQuery(filter, 50, after).compile();
    const r = await handle.db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]),
    );
    return r.rows.map((row) => row.detail);
  };

  it('reads every filtered page in (ts, seq) order from an index, without sorting the matches', async () => {
    const T = Date.parse('2024-05-01T00:00:00Z');
    const cases: Array<[AuditFilter, string]> = [
      [{}, 'audit_ts_seq'],
      [{ from: T, to: T + 3_600_000 }, 'audit_ts_seq'],
      [{ author: 'carol' }, 'audit_author_ts'],
      [{ category: 'authentication', action: 'auth.failed' }, 'audit_category_ts'],
      [{ affectedUser: 'dave', from: T }, 'audit_affected_ts'],
      [{ tokenId: 'tok_x' }, 'audit_token_ts'],
      [{ nodeId: 'node-a' }, 'audit_node_ts'],
    ];
    for (const [filter, index] of cases) {
      for (const after of [undefined, { ts: T, seq: 10 }]) {
        const steps = await plan(filter, after);
        const where = `${JSON.stringify(filter)} after ${JSON.stringify(after)}: ${steps.join('; ')}`;
        assert.ok(
          steps.some((s) => s.includes(`INDEX ${index}`)),
          where,
        );
        assert.ok(!steps.some((s) => s.includes('TEMP B-TREE')), where);
      }
    }
    // By IP: each side reads its newest page from its own index; only those two pages are sorted.
    const ip = await plan({ ip: '192.0.2.10' });
    for (const index of ['audit_source_ip_ts', 'audit_proxy_ip_ts'])
      assert.ok(
        ip.some((s) => s.includes(`INDEX ${index}`)),
        ip.join('; '),
      );
  });
});

describe('audit export at volume', () => {
  let h: Harness;
  const N = 2_600;

  before(async () => {
    h = await harness();
    await appendEvents(h, syntheticEvents(N, MARCH));
  });
  after(() => h.close());

  it('streams every record in both formats, across many pages and chunks', async () => {
    const all = await allRecords(h);
    assert.equal(all.length, N + 1);
    const csv = await call(h.api, { method: 'GET', url: '/admin/audit/export?format=csv', auth: admin });
    assert.equal(csv.statusCode, 200);
    assert.equal(csv.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(parseAuditCsv(csv.body), all);
    const jsonl = await call(h.api, { method: 'GET', url: '/admin/audit/export?format=jsonl', auth: admin });
    const seqs = jsonl.body
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    // Newest first by time, then seq: the admin's creation (now) sits among the synthetic years.
    const byTime = [...all].sort((a, b) => b.ts - a.ts || b.seq - a.seq).map((r) => r.seq);
    assert.deepEqual(seqs, byTime);
    assert.notDeepEqual(
      byTime,
      all.map((r) => r.seq).sort((a, b) => b - a),
      'these records are not in seq order by time',
    );
  });

  it('iterateAudit reads lazily, a page at a time by keyset on (ts, seq)', async () => {
    const calls: Array<[number, AuditPosition | undefined]> = [];
    const spy = {
      audit: {
        search: (f: AuditFilter, limit: number, after?: AuditPosition) => {
          calls.push([limit, after]);
          return h.ctx.store.audit.search(f, limit, after);
        },
      },
    } as unknown as Store;
    let n = 0;
    for await (const r of iterateAudit(spy, {}, 1000)) {
      n++;
      assert.ok(r.seq > 0);
    }
    assert.equal(n, N + 1);
    const all = await allRecords(h);
    const at = (i: number) => ({ ts: all[i]?.ts, seq: all[i]?.seq });
    assert.deepEqual(calls, [
      [1000, undefined],
      [1000, at(999)],
      [1000, at(1999)],
    ]);

    calls.length = 0;
    for await (const r of iterateAudit(spy, { nodeId: 'node-b' }, 100)) {
      assert.equal(r.nodeId, 'node-b');
      break;
    }
    assert.equal(calls.length, 1, 'stopping early reads no further page');
  });
});

describe('audit CSV format', () => {
  const base: AuditRecord = {
    id: 7,
    seq: 9,
    ts: Date.parse('2025-01-02T03:04:05.006Z'),
    category: 'tokens',
    action: 'token.created',
    summary: 'a, "b"\r\nc',
    author: 'admin',
    affectedUser: '',
    tokenId: null,
    tokenDescription: 'plain',
    sourceIp: '10.0.0.1',
    proxyIp: null,
    nodeId: 'n1',
    requestId: 'r1',
    method: 'POST',
    endpoint: '/x',
    outcome: 'success',
    details: { b: 1, a: 'x"y' },
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
  };

  it('quotes only fields with a comma, quote, CR or LF, doubles quotes, and ends rows with CRLF', () => {
    assert.equal(
      auditCsvRow(base),
      `9,7,2025-01-02T03:04:05.006Z,tokens,token.created,"a, ""b""\r\nc",admin,"",,plain,10.0.0.1,,n1,r1,POST,/x,success,"{""a"":""x\\""y"",""b"":1}",${'0'.repeat(64)},${'a'.repeat(64)}\r\n`,
    );
    assert.equal(auditCsvHeader(), `${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
    const back = parseAuditCsv(auditCsvHeader() + auditCsvRow(base));
    assert.deepEqual(back, [{ ...base, details: { a: 'x"y', b: 1 } }]);
  });

  it('parses strictly', () => {
    const good = auditCsvHeader() + auditCsvRow(base);
    const bad: Array<[string, RegExp]> = [
      ['', /header/],
      [good.replace('seq,id', 'id,seq'), /header/],
      [good.slice(0, -2), /CRLF/],
      [good.replace(/\r\n$/, '\n'), /CRLF/],
      [good.replace(',admin,', ',ad"min,'), /quote inside an unquoted field/],
      [good.replace(',admin,', ',"admin"x,'), /after the closing quote/],
      [good.replace(',admin,', ',admin,extra,'), /21 fields/],
      [good.replace(',tokens,', ',nope,'), /unknown category/],
      [good.replace('2025-01-02T03:04:05.006Z', '2025-01-02'), /time/],
      [good.replace(/^([^\r]*\r\n)9,/, '$1x,'), /seq is not an integer/],
      [good.replace('""a"":""x\\""y"",""b"":1', '""b"":1,""a"":""x\\""y""'), /canonical/],
      [good.replace(',admin,', ',,'), /author is empty/],
      [good.replace(`,${'a'.repeat(64)}\r\n`, ',zz\r\n'), /hex/],
      [good + '"unclosed', /not closed/],
    ];
    for (const [text, message] of bad)
      assert.throws(() => parseAuditCsv(text), message, JSON.stringify(text));
  });
});
