import assert from 'node:assert/strict';
import { CompiledQuery } from '../src/store/kysely.js';
import { after, before, describe, it } from 'node:test';
import {
  AUDIT_CSV_COLUMNS,
  auditCsvHeader,
  auditCsvRow,
  auditJsonLine,
  auditRecordView,
  iterateAudit,
  parseAuditCsv,
  type AuditRecordView,
} from '../src/audit/export.js';
import { auditEvent, type AuditEvent, type AuditRecord } from '../src/domain/audit/audit.js';
import { systemContext } from '../src/services/context.js';
import type { AuditFilter, AuditPosition } from '../src/store/audit-repo.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import { Store } from '../src/store/store.js';
import { ADMIN_PASSWORD, basic, bearer, call, harness, type Harness } from './support/harness.js';

const admin = basic('admin', ADMIN_PASSWORD);
const MARCH = Date.parse('2024-03-01T00:00:00.000Z');
const DAY = 86_400_000;

type Page = { items: AuditRecordView[]; nextCursor: string | null };
type ErrorBody = { error: { code: string; message: string; details?: Array<{ field: string }> } };

function qs(params: Record<string, string | number>): string {
  return new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
}

/** Synthetic events with awkward text: commas, quotes, CR/LF, non-ASCII, empty strings. */
function syntheticEvents(count: number, startTs: number): AuditEvent[] {
  const nodes = ['node-a', 'node-b'];
  const events: AuditEvent[] = [];
  for (let i = 0; i < count; i++) {
    const ctx = {
      ...systemContext(i % 3 === 0 ? 'anonymous' : 'carol'),
      sourceIp: i % 2 === 0 ? '192.0.2.10' : '2001:db8::1',
      proxyIp: i % 4 === 1 ? '198.51.100.7' : null,
      requestId: `req-${i}`,
      method: i % 2 === 0 ? 'GET' : 'POST',
      endpoint: '/api/things',
    };
    events.push(
      auditEvent(ctx, nodes[i % 2] ?? 'node-a', startTs + i * DAY, {
        category: 'authentication',
        action: i % 2 === 0 ? 'auth.failed' : 'auth.success',
        summary:
          i % 5 === 0
            ? `Odd, "QUOTED" text\r\non two lines #${i}`
            : i % 7 === 0
              ? `=HYPERLINK("x") ünïcødé ✓ #${i}`
              : `plain summary ${i}`,
        affectedUser: i % 3 === 0 ? null : 'dave',
        tokenId: i % 2 === 0 ? null : `tok_synth${i}`,
        tokenDescription: i % 2 === 0 ? null : i % 3 === 0 ? '' : `desc, with comma ${i}`,
        outcome: i % 2 === 0 ? 'invalid_token' : 'success',
        details:
          i % 6 === 0
            ? null
            : {
                zeta: i,
                alpha: { nested: [1, 'two', null, true], empty: '' },
                text: 'tab\tquote" comma, cr\r lf\n',
              },
      }),
    );
  }
  return events;
}

async function appendEvents(h: Harness, events: AuditEvent[]): Promise<void> {
  await h.ctx.store.transaction((tx) => tx.audit.append(events));
}

async function allRecords(h: Harness): Promise<AuditRecord[]> {
  return h.ctx.store.audit.search({}, 1_000_000);
}

async function search(h: Harness, params: Record<string, string | number>, auth = admin) {
  return call(h.api, { method: 'GET', url: `/admin/audit?${qs(params)}`, auth });
}

function fieldsOf(body: unknown): string[] {
  return ((body as ErrorBody).error.details ?? []).map((d) => d.field);
}

describe('audit API', () => {
  let h: Harness;
  let all: AuditRecord[];
  let devToken: string;
  let devTokenId: string;

  before(async () => {
    h = await harness();
    await h.addUser('dev', ['dev'], 'dev-password-1');
    // Real events through the API: a token created and revoked by admin, a settings change, and a
    // revocation that arrives through a trusted proxy.
    const created = await call(h.api, {
      method: 'POST',
      url: '/admin/users/dev/tokens',
      auth: admin,
      body: { description: 'dev, "main" token', scope: 'read' },
      remoteAddress: '10.1.1.1',
    });
    assert.equal(created.statusCode, 201, created.body);
    const c = created.data as { token: string; record: { id: string } };
    devToken = c.token;
    devTokenId = c.record.id;
    const victim = await h.tokenFor('dev', 'write');
    assert.equal(
      (
        await call(h.api, {
          method: 'PATCH',
          url: '/admin/settings',
          auth: admin,
          body: { 'auth.trustedProxies': ['10.9.9.9/32'], 'rateLimit.requests': 7 },
          remoteAddress: '10.1.1.1',
        })
      ).statusCode,
      200,
    );
    const revoked = await call(h.api, {
      method: 'DELETE',
      url: `/admin/tokens/${victim.id}`,
      auth: admin,
      remoteAddress: '10.9.9.9',
      headers: { 'x-forwarded-for': '192.0.2.77' },
    });
    assert.equal(revoked.statusCode, 204, revoked.body);
    await appendEvents(h, syntheticEvents(40, MARCH - 10 * DAY));
    all = await allRecords(h);
    assert.ok(all.length > 45);
  });
  after(() => h.close());

  describe('search', () => {
    it('returns the newest records first with every field, matching the store', async () => {
      const r = await search(h, { limit: 500 });
      assert.equal(r.statusCode, 200, r.body);
      const page = r.data as Page;
      assert.equal(page.nextCursor, null);
      assert.deepEqual(page.items, all.map(auditRecordView));
      assert.deepEqual(Object.keys(page.items[0] ?? {}), [...AUDIT_CSV_COLUMNS]);
      const proxied = page.items.find((i) => i.action === 'token.revoked');
      assert.deepEqual(
        [proxied?.author, proxied?.sourceIp, proxied?.proxyIp],
        ['admin', '192.0.2.77', '10.9.9.9'],
      );
    });

    const cases: Array<[string, Record<string, string>, (r: AuditRecord) => boolean]> = [
      [
        'from and to, inclusive',
        {
          from: new Date(MARCH).toISOString(),
          to: new Date(MARCH + 9 * DAY).toISOString(),
        },
        (r) => r.ts >= MARCH && r.ts <= MARCH + 9 * DAY,
      ],
      ['from alone', { from: new Date(MARCH + 20 * DAY).toISOString() }, (r) => r.ts >= MARCH + 20 * DAY],
      ['to alone', { to: new Date(MARCH).toISOString() }, (r) => r.ts <= MARCH],
      ['author', { author: 'admin' }, (r) => r.author === 'admin'],
      ['author anonymous', { author: 'anonymous' }, (r) => r.author === 'anonymous'],
      ['category', { category: 'tokens' }, (r) => r.category === 'tokens'],
      ['action', { action: 'auth.failed' }, (r) => r.action === 'auth.failed'],
      ['affected user', { affectedUser: 'dev' }, (r) => r.affectedUser === 'dev'],
      ['token id', { tokenId: 'tok_synth5' }, (r) => r.tokenId === 'tok_synth5'],
      ['source IP', { ip: '192.0.2.10' }, (r) => r.sourceIp === '192.0.2.10' || r.proxyIp === '192.0.2.10'],
      ['IPv4-mapped IP', { ip: '::ffff:192.0.2.10' }, (r) => r.sourceIp === '192.0.2.10'],
      ['proxy IP', { ip: '198.51.100.7' }, (r) => r.proxyIp === '198.51.100.7'],
      ['IPv6', { ip: '2001:db8::1' }, (r) => r.sourceIp === '2001:db8::1'],
      ['node', { nodeId: 'node-b' }, (r) => r.nodeId === 'node-b'],
      [
        'free text, case-insensitive, in summaries',
        { q: 'quoted' },
        (r) => r.summary.toLowerCase().includes('quoted'),
      ],
      [
        'free text in token descriptions',
        { q: '"MAIN" TOKEN' },
        (r) => (r.tokenDescription ?? '').toLowerCase().includes('"main" token'),
      ],
      ['free text with LIKE wildcards taken literally', { q: '100%_' }, () => false],
      [
        'several filters together',
        { category: 'authentication', nodeId: 'node-a', action: 'auth.failed', ip: '192.0.2.10' },
        (r) =>
          r.category === 'authentication' &&
          r.nodeId === 'node-a' &&
          r.action === 'auth.failed' &&
          r.sourceIp === '192.0.2.10',
      ],
    ];
    for (const [name, params, pred] of cases) {
      it(`narrows by ${name}`, async () => {
        const expected = all.filter(pred).map((r) => r.seq);
        if (name.includes('wildcards')) assert.equal(expected.length, 0);
        else assert.ok(expected.length > 0 && expected.length < all.length, `${name}: ${expected.length}`);
        const r = await search(h, { ...params, limit: 500 });
        assert.equal(r.statusCode, 200, r.body);
        assert.deepEqual(
          (r.data as Page).items.map((i) => i.seq),
          expected,
        );
      });
    }

    it('the token id filter finds a token from creation to use', async () => {
      const r = await search(h, { tokenId: devTokenId });
      assert.deepEqual(
        (r.data as Page).items.map((i) => i.action),
        ['token.created'],
      );
    });

    it('pages with nextCursor over every record exactly once, newest first', async () => {
      for (const [params, pred] of [
        [{ limit: 7 }, () => true],
        [
          { limit: 3, category: 'authentication', nodeId: 'node-b' },
          (r: AuditRecord) => r.nodeId === 'node-b',
        ],
      ] as const) {
        const seen: number[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const r = await search(h, { ...params, ...(cursor !== null ? { cursor } : {}) });
          assert.equal(r.statusCode, 200, r.body);
          const page = r.data as Page;
          assert.ok(page.items.length <= params.limit);
          if (page.nextCursor !== null) assert.equal(page.items.length, params.limit);
          seen.push(...page.items.map((i) => i.seq));
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null);
        const expected = all.filter(pred).map((r) => r.seq);
        assert.equal(new Set(seen).size, seen.length, 'no repeats');
        assert.deepEqual(seen, expected);
        assert.equal(pages, Math.ceil(expected.length / params.limit));
      }
    });

    it('keeps paging stable while new records arrive', async () => {
      const first = (await search(h, { limit: 5 })).data as Page;
      assert.ok(first.nextCursor);
      // Records appended after the first page are newer than it: the next page is unaffected.
      await appendEvents(h, syntheticEvents(3, Date.now()));
      try {
        const second = (await search(h, { limit: 5, cursor: first.nextCursor })).data as Page;
        assert.deepEqual(
          second.items.map((i) => i.seq),
          all.slice(5, 10).map((r) => r.seq),
        );
      } finally {
        all = await allRecords(h);
      }
    });

    it('refuses bad query values with 400, naming the field', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ limit: '0' }, 'query.limit'],
        [{ limit: '501' }, 'query.limit'],
        [{ limit: 'ten' }, 'query.limit'],
        [{ category: 'nope' }, 'query.category'],
        [{ from: 'yesterday' }, 'query.from'],
        [{ to: '2024-13-01T00:00:00Z' }, 'query.to'],
        [{ from: '2024-03-02T00:00:00Z', to: '2024-03-01T00:00:00Z' }, 'query.to'],
        [{ author: '' }, 'query.author'],
        [{ ip: 'not-an-ip' }, 'query.ip'],
        [{ ip: '10.0.0.0/8' }, 'query.ip'],
        [{ q: 'x'.repeat(201) }, 'query.q'],
        [{ cursor: 'garbage!' }, 'query.cursor'],
        [{ cursor: Buffer.from('12abc').toString('base64url') }, 'query.cursor'],
        [{ cursor: Buffer.from('0').toString('base64url') }, 'query.cursor'],
        [{ cursor: Buffer.from('-5').toString('base64url') }, 'query.cursor'],
        [{ cursor: `${Buffer.from('5').toString('base64url')}==` }, 'query.cursor'],
        [{ cursor: Buffer.from('99999999999999999999').toString('base64url') }, 'query.cursor'],
        [{ nope: '1' }, 'query.nope'],
      ];
      for (const [params, field] of cases) {
        const r = await search(h, params);
        assert.equal(r.statusCode, 400, `${JSON.stringify(params)}: ${r.body}`);
        assert.equal((r.data as ErrorBody).error.code, 'invalid_request');
        assert.ok(fieldsOf(r.data).includes(field), `${field} in ${r.body}`);
      }
    });

    it('is for the admin group only', async () => {
      for (const auth of [basic('dev', 'dev-password-1'), bearer(devToken)]) {
        for (const url of ['/admin/audit', '/admin/audit/export?format=csv', '/admin/audit/verify']) {
          const r = await call(h.api, { method: 'GET', url, auth });
          assert.equal(r.statusCode, 403, `${url}: ${r.body}`);
          assert.equal((r.data as ErrorBody).error.code, 'forbidden');
        }
      }
    });

    it('needs authentication', async () => {
      for (const url of ['/admin/audit', '/admin/audit/export?format=jsonl', '/admin/audit/verify']) {
        const r = await call(h.api, { method: 'GET', url });
        assert.equal(r.statusCode, 401, url);
        assert.ok(r.headers['www-authenticate']);
      }
    });
  });

  describe('export', () => {
    async function exportOf(params: Record<string, string>) {
      return call(h.api, { method: 'GET', url: `/admin/audit/export?${qs(params)}`, auth: admin });
    }

    async function searchAll(params: Record<string, string>): Promise<AuditRecordView[]> {
      const items: AuditRecordView[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = (
          await search(h, { ...params, limit: 500, ...(cursor !== null ? { cursor } : {}) })
        ).data as Page;
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      return items;
    }

    for (const params of [{}, { category: 'authentication', q: 'quoted' }, { author: 'admin' }] as Array<
      Record<string, string>
    >) {
      it(`CSV parses back to the records the search returns (${JSON.stringify(params)})`, async () => {
        const r = await exportOf({ format: 'csv', ...params });
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
        assert.match(
          String(r.headers['content-disposition']),
          /^attachment; filename="tokengate-audit-\d{8}T\d{6}Z\.csv"$/,
        );
        const parsed = parseAuditCsv(r.body);
        const expected = await searchAll(params);
        assert.ok(expected.length > 0);
        assert.equal(parsed.length, expected.length);
        parsed.forEach((rec, i) => {
          const view = auditRecordView(rec);
          const want = expected[i];
          for (const col of AUDIT_CSV_COLUMNS) assert.deepEqual(view[col], want?.[col], `record ${i} ${col}`);
        });
        // And to the stored records themselves, nulls and empty strings kept apart.
        const stored = all.filter((rec) => expected.some((e) => e.seq === rec.seq));
        assert.deepEqual(parsed, stored);
        assert.ok(parsed.some((p) => p.tokenDescription === '') || params.author === 'admin');
      });
    }

    it('JSON lines parse back to the same records', async () => {
      const r = await exportOf({ format: 'jsonl' });
      assert.equal(r.statusCode, 200);
      assert.equal(r.headers['content-type'], 'application/x-ndjson');
      assert.match(
        String(r.headers['content-disposition']),
        /filename="tokengate-audit-\d{8}T\d{6}Z\.jsonl"/,
      );
      assert.ok(r.body.endsWith('\n'));
      const lines = r.body.slice(0, -1).split('\n');
      assert.deepEqual(
        lines.map((l) => JSON.parse(l) as unknown),
        await searchAll({}),
      );
      assert.deepEqual(
        lines,
        all.map((rec) => auditJsonLine(rec).slice(0, -1)),
      );
    });

    it('gives a header-only CSV and an empty JSON lines file when nothing matches', async () => {
      const csv = await exportOf({ format: 'csv', author: 'nobody-at-all' });
      assert.equal(csv.statusCode, 200);
      assert.equal(csv.body, auditCsvHeader());
      assert.deepEqual(parseAuditCsv(csv.body), []);
      const jsonl = await exportOf({ format: 'jsonl', author: 'nobody-at-all' });
      assert.equal(jsonl.body, '');
    });

    it('refuses a missing or unknown format and paging parameters', async () => {
      for (const [params, field] of [
        [{}, 'query.format'],
        [{ format: 'xml' }, 'query.format'],
        [{ format: 'csv', limit: '5' }, 'query.limit'],
        [{ format: 'csv', cursor: 'Mg' }, 'query.cursor'],
        [{ format: 'csv', category: 'nope' }, 'query.category'],
        [{ format: 'csv', from: 'soon' }, 'query.from'],
      ] as Array<[Record<string, string>, string]>) {
        const r = await exportOf(params);
        assert.equal(r.statusCode, 400, JSON.stringify(params));
        assert.ok(fieldsOf(r.data).includes(field), `${field} in ${r.body}`);
      }
    });
  });

  describe('OpenAPI', () => {
    it('documents the three routes, every record field and every query parameter', async () => {
      const doc = (await call(h.api, { method: 'GET', url: '/openapi.json' })).data as {
        paths: Record<
          string,
          {
            get: {
              parameters: Array<{ name: string; description?: string }>;
              responses: Record<string, unknown>;
            };
          }
        >;
        components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> };
      };
      const base = '/_tokengate/api/v1/admin/audit';
      for (const p of [base, `${base}/export`, `${base}/verify`]) assert.ok(doc.paths[p]?.get, p);
      for (const p of [base, `${base}/export`]) {
        for (const param of doc.paths[p]?.get.parameters ?? [])
          assert.ok(param.description && param.description.length > 5, `${p} ${param.name}`);
      }
      const names = (doc.paths[base]?.get.parameters ?? []).map((p) => p.name).sort();
      assert.deepEqual(names, [
        'action',
        'affectedUser',
        'author',
        'category',
        'cursor',
        'from',
        'ip',
        'limit',
        'nodeId',
        'q',
        'to',
        'tokenId',
      ]);
      const record = Object.values(doc.components.schemas).find((s) => s.properties?.prevHash);
      assert.ok(record, 'the AuditRecord schema');
      assert.deepEqual(Object.keys(record.properties), [...AUDIT_CSV_COLUMNS]);
      for (const [name, prop] of Object.entries(record.properties))
        assert.ok(prop.description && prop.description.length > 5, name);
    });
  });

  describe('verify', () => {
    it('says ok on an untouched log, and names the first modified record after tampering', async () => {
      const ok = await call(h.api, { method: 'GET', url: '/admin/audit/verify', auth: admin });
      assert.equal(ok.statusCode, 200, ok.body);
      const head = all[0]?.seq ?? 0;
      assert.deepEqual(ok.data, {
        ok: true,
        checked: head,
        fromSeq: 0,
        headSeq: head,
        problem: null,
        purges: [],
      });

      const target = all[Math.floor(all.length / 2)]?.seq ?? 0;
      await h.ctx.database.db
        .updateTable('audit_log')
        .set({ summary: 'nothing happened here' })
        .where('seq', '=', target)
        .execute();
      const bad = await call(h.api, { method: 'GET', url: '/admin/audit/verify', auth: admin });
      assert.equal(bad.statusCode, 200);
      const data = bad.data as {
        ok: boolean;
        checked: number;
        problem: { kind: string; seq: number; message: string };
      };
      assert.equal(data.ok, false);
      assert.equal(data.checked, target - 1);
      assert.equal(data.problem.kind, 'modified');
      assert.equal(data.problem.seq, target);
      assert.match(data.problem.message, new RegExp(`record ${target}`));
    });
  });
});

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
