import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUDIT_CSV_COLUMNS,
  auditCsvHeader,
  auditJsonLine,
  auditRecordView,
  parseAuditCsv,
  type AuditRecordView,
} from '../../../audit/export.js';
import { type AuditRecord } from '../../../domain/audit/audit.js';
import { call, useHarness } from '../../../../test/support/harness.js';
import { admin, fieldsOf, qs, search, seedAuditApi, type Page } from '../../../../test/support/audit-api.js';

/** The audit API's export (GET /admin/audit/export) and its OpenAPI description. */

describe('audit API: export', () => {
  let all: AuditRecord[];

  const h = useHarness(async (started) => {
    ({ all } = await seedAuditApi(started));
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
});
