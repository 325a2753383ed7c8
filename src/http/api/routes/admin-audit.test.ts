import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUDIT_CSV_COLUMNS, auditRecordView } from '../../../audit/export.js';
import { type AuditRecord } from '../../../domain/audit/audit.js';
import { basic, bearer, call, useHarness } from '../../../../test/support/harness.js';
import {
  admin,
  allRecords,
  appendEvents,
  DAY,
  fieldsOf,
  MARCH,
  search,
  seedAuditApi,
  syntheticEvents,
  type ErrorBody,
  type Page,
} from '../../../../test/support/audit-api.js';

/** The audit API (GET /admin/audit, /admin/audit/verify): search, paging, refusals and verification. */

describe('audit API', () => {
  let all: AuditRecord[];
  let devToken: string;
  let devTokenId: string;

  const h = useHarness(async (started) => {
    ({ all, devToken, devTokenId } = await seedAuditApi(started));
  });

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
