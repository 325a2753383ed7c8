import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWellFormedToken } from '../../../domain/token/format.js';
import { addMonths } from './compat-resolution/mapping.js';
import {
  ADMIN,
  ALICE,
  API,
  BOB,
  COMPAT,
  DAY,
  near,
  request,
  useCompatNode,
  type CompatPageBody,
  type CompatTokenBody,
  type CreatedBody,
  type ErrorBody,
} from '../../../../test/support/compat-resolution.js';

/**
 * The seed app's REST API, compatible subset (docs/migration.md): its shapes and its audit follow
 * tokengate's rules. Refusals are in compat-resolution-refusals.test.ts; the example script and the
 * API turned off run end to end in test/compat-resolution.test.ts.
 */

describe('seed app REST API: compatible subset', () => {
  const node = useCompatNode();
  const { compat, ownTokens } = node;

  describe('endpoint shapes', () => {
    it('POST /user/token takes months, an ISO date-time or epoch ms, and returns plainTextToken once', async () => {
      const byMonths = await request(compat('/user/token'), 'POST', ALICE, {
        tokenDescription: 'by months',
        tokenValidityTimeInMonths: 2,
      });
      assert.equal(byMonths.status, 200, byMonths.body);
      const c = byMonths.data as CreatedBody;
      assert.ok(isWellFormedToken(c.plainTextToken, 'tgp'), 'plainTextToken is not a token');
      assert.match(c.id, /^tok_/);
      assert.equal(typeof c.created, 'number');
      assert.equal(c.lastAccessed, 0);
      near(c.validUntil, addMonths(c.created, 2), 'validUntil');
      assert.equal(c.tokenExpirationDateTimeMillis, c.validUntil);
      assert.equal(c.tokenExpirationDateTime, new Date(c.validUntil).toISOString());
      assert.equal(c.tokenScope, 1, "tokengate's default scope: read");
      assert.equal(c.userKey, 'alice');

      const iso = new Date(Date.now() + 40 * DAY);
      iso.setUTCMilliseconds(0);
      // The original's example form: milliseconds and a +02:00 offset.
      const shifted = new Date(iso.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
      const byDate = await request(compat('/user/token'), 'POST', ALICE, {
        tokenDescription: 'by date',
        tokenExpirationDateTime: shifted,
        tokenScope: 2,
      });
      assert.equal(byDate.status, 200, byDate.body);
      assert.equal((byDate.data as CreatedBody).validUntil, iso.getTime());
      assert.equal((byDate.data as CreatedBody).tokenScope, 2);

      const ms = Date.now() + 10 * DAY;
      const byMillis = await request(compat('/user/token'), 'POST', ALICE, {
        tokenDescription: 'by millis',
        tokenExpirationDateTimeMillis: ms,
      });
      assert.equal(byMillis.status, 200, byMillis.body);
      assert.equal((byMillis.data as CreatedBody).validUntil, ms);

      const byDefault = await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'default' });
      assert.equal(byDefault.status, 200, byDefault.body);
      const d = byDefault.data as CreatedBody;
      near(d.validUntil - d.created, 90 * DAY, 'tokens.defaultValidityDays');

      const views = await ownTokens(ALICE);
      assert.equal(views.find((v) => v.id === (byDate.data as CreatedBody).id)?.scope, 'write');
      assert.ok(!JSON.stringify(views).includes(c.plainTextToken), 'a list shows the secret');
    });

    it('GET /user/token lists content[] with epoch-ms numbers, in a Spring page, without deleted tokens', async () => {
      const made = (await request(compat('/user/token'), 'POST', BOB, { tokenDescription: 'bob list' }))
        .data as CreatedBody;
      const gone = (await request(compat('/user/token'), 'POST', BOB, { tokenDescription: 'bob gone' }))
        .data as CreatedBody;
      // Used once, so lastAccessed is set (written in batches: wait for it).
      assert.equal((await request(`${node.t.url}/data`, 'GET', `Bearer ${made.plainTextToken}`)).status, 200);
      const del = await request(compat(`/user/token/${gone.id}`), 'DELETE', BOB);
      assert.equal(del.status, 200);
      let page: CompatPageBody | undefined;
      for (let i = 0; i < 50; i++) {
        const r = await request(compat('/user/token/'), 'GET', BOB);
        assert.equal(r.status, 200, r.body);
        page = r.data as CompatPageBody;
        if ((page.content.find((x) => x.id === made.id)?.lastAccessed ?? 0) > 0) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.ok(page, 'no page');
      const row = page.content.find((x) => x.id === made.id);
      assert.ok(row, 'the token is not listed');
      for (const key of ['created', 'lastAccessed', 'validUntil'] as const) {
        assert.equal(typeof row[key], 'number', key);
        assert.ok(Number.isInteger(row[key]), key);
      }
      assert.ok(row.lastAccessed >= row.created, 'lastAccessed before created');
      assert.equal(row.validUntil, made.validUntil);
      assert.equal(row.description, 'bob list');
      assert.ok(!page.content.some((x) => x.id === gone.id), 'a deleted token is not listed');
      assert.ok(!('plainTextToken' in row), 'a list shows the secret');
      assert.deepEqual(
        { number: page.number, first: page.first, last: page.last, totalPages: page.totalPages },
        { number: 0, first: true, last: true, totalPages: 1 },
      );
      assert.equal(page.totalElements, page.content.length);
      assert.equal(page.numberOfElements, page.content.length);
    });

    it('PATCH changes the description; DELETE returns true; both then 404 for the deleted token', async () => {
      const c = (await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'to rename' }))
        .data as CreatedBody;
      const patched = await request(compat(`/user/token/${c.id}`), 'PATCH', ALICE, {
        tokenDescription: 'renamed',
      });
      assert.equal(patched.status, 200, patched.body);
      assert.equal((patched.data as CompatTokenBody).description, 'renamed');
      assert.equal((patched.data as CompatTokenBody).id, c.id);

      const del = await request(compat(`/user/token/${c.id}`), 'DELETE', ALICE);
      assert.equal(del.status, 200);
      assert.equal(del.body, 'true');
      assert.match(del.headers.get('content-type') ?? '', /^application\/json/);

      const again = await request(compat(`/user/token/${c.id}`), 'DELETE', ALICE);
      assert.equal(again.status, 404);
      assert.equal((again.data as ErrorBody).error.code, 'not_found');
      assert.equal(
        (await request(compat(`/user/token/${c.id}`), 'PATCH', ALICE, { tokenDescription: 'x' })).status,
        404,
      );
      assert.equal((await request(compat('/user/token/4711'), 'DELETE', ALICE)).status, 404, 'numeric ids');
    });

    it('GET /user/tokensByFilter filters by user, description, scope and times, and pages from 0', async () => {
      const mk = async (auth: string, body: Record<string, unknown>) =>
        ((await request(compat('/user/token'), 'POST', auth, body)).data as CreatedBody).id;
      const a1 = await mk(ALICE, { tokenDescription: 'filter-me one', tokenScope: 2 });
      const a2 = await mk(ALICE, { tokenDescription: 'filter-me two', tokenValidityTimeInMonths: 1 });
      const b1 = await mk(BOB, { tokenDescription: 'filter-me three' });
      const b2 = await mk(BOB, { tokenDescription: 'filter-me four' });
      assert.equal((await request(compat(`/user/token/${b2}`), 'DELETE', BOB)).status, 200);

      const q = async (query: string) => {
        const r = await request(compat(`/user/tokensByFilter?${query}`), 'GET', ADMIN);
        assert.equal(r.status, 200, `${query}: ${r.body}`);
        return r.data as CompatPageBody;
      };
      const ids = (p: CompatPageBody) => p.content.map((x) => x.id);

      const all = await q('descriptionFilter=FILTER-ME');
      assert.deepEqual(ids(all), [b1, a2, a1], 'newest first, deleted left out, case-insensitive');
      assert.equal(all.totalElements, 3);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&userFilter=alice')), [a2, a1]);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&userFilter=alice&userFilter=bob')), [
        b1,
        a2,
        a1,
      ]);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&tokenScope=2')), [a1]);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&tokenScope=0')), [], 'no unscoped tokens');
      const soon = Date.now() + 40 * DAY;
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&notValidAfter=${soon}`)), [a2]);
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&untilExpiresDuring=${soon}`)), [a2]);
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&fromExpiresDuring=${soon}`)), [b1, a1]);
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&fromCreated=${Date.now() + DAY}`)), []);
      assert.deepEqual(ids(await q(`descriptionFilter=filter-me&untilCreated=${Date.now() + DAY}`)), [
        b1,
        a2,
        a1,
      ]);
      assert.deepEqual(ids(await q('descriptionFilter=filter-me&fromLastUsed=1')), [], 'none used yet');

      const p0 = await q('descriptionFilter=filter-me&page=0&limit=2');
      assert.deepEqual(ids(p0), [b1, a2]);
      assert.deepEqual(
        { totalElements: p0.totalElements, totalPages: p0.totalPages, number: p0.number, size: p0.size },
        { totalElements: 3, totalPages: 2, number: 0, size: 2 },
      );
      assert.equal(p0.first, true);
      assert.equal(p0.last, false);
      const p1 = await q('descriptionFilter=filter-me&page=1&limit=2');
      assert.deepEqual(ids(p1), [a1]);
      assert.equal(p1.last, true);
      assert.equal(p1.numberOfElements, 1);
      const p9 = await q('descriptionFilter=filter-me&page=9&limit=2');
      assert.equal(p9.empty, true);
      assert.equal(p9.content.length, 0);
    });
  });

  it('the audit log records the real user, the client IP and the compat endpoint for a creation', async () => {
    const c = (await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'audited' }))
      .data as CreatedBody;
    await node.t.node.runtime.auditQueue.flush();
    const r = await request(
      `${node.t.adminUrl}${API}/admin/audit?action=token.created&tokenId=${c.id}`,
      'GET',
      ADMIN,
    );
    assert.equal(r.status, 200, r.body);
    const items = (r.data as { items: Array<Record<string, unknown>> }).items;
    assert.equal(items.length, 1);
    const rec = items[0] ?? {};
    assert.equal(rec.author, 'alice');
    assert.equal(rec.affectedUser, 'alice');
    assert.equal(rec.tokenDescription, 'audited');
    assert.equal(rec.sourceIp, '127.0.0.1');
    assert.equal(rec.method, 'POST');
    assert.equal(rec.endpoint, `${COMPAT}/user/token`);
    assert.ok(!r.body.includes(c.plainTextToken), 'the audit shows the secret');
  });

  it('with compat.resolutionApi on, the upstream never sees the compat paths', async () => {
    const before = node.up.seen.length;
    assert.equal((await request(compat('/user/token'), 'GET', ALICE)).status, 200);
    assert.equal(node.up.seen.length, before);
  });
});
