import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PAGE_SIZE, nextPageUrl } from '../src/http/api/paging.js';
import { ADMIN_PASSWORD, API, basic, call, useHarness } from './support/harness.js';

/** One cursor-paging convention for every list (issue 19). */

interface Page {
  items: Array<Record<string, unknown>>;
  nextCursor: string | null;
}

/** The lists, with the key that identifies an item and a way to add one more item. */
interface List {
  url: string;
  key: string;
}

const LISTS: List[] = [
  { url: '/tokens', key: 'id' },
  { url: '/admin/tokens', key: 'id' },
  { url: '/admin/users', key: 'username' },
  { url: '/admin/audit', key: 'seq' },
];

describe('nextPageUrl', () => {
  it('keeps the path and the other parameters and replaces the cursor', () => {
    assert.equal(nextPageUrl('/a/b?limit=2&cursor=old&user=x', 'new'), '/a/b?limit=2&cursor=new&user=x');
    assert.equal(nextPageUrl('/a/b', 'c1'), '/a/b?cursor=c1');
  });
});

describe('lists', () => {
  const admin = basic('admin', ADMIN_PASSWORD);
  let added = 0;
  const h = useHarness(async (started) => {
    for (let i = 0; i < 5; i++) await started.addUser(`user${i}`, ['dev'], `user-password-${i}x`);
    // Every list grows by one per addItems call, admin's own tokens too.
    const r = await call(started.api, {
      method: 'PATCH',
      url: '/admin/settings',
      auth: admin,
      body: { 'tokens.maxPerUser': 1000 },
    });
    assert.equal(r.statusCode, 200, r.body);
  });

  /** Adds one item to every list at once: a user, and a token of admin's (each audited). */
  async function addItems(): Promise<void> {
    added++;
    const u = await call(h.api, {
      method: 'POST',
      url: '/admin/users',
      auth: admin,
      body: { username: `late${added}` },
    });
    assert.equal(u.statusCode, 201);
    const t = await call(h.api, {
      method: 'POST',
      url: '/tokens',
      auth: admin,
      body: { description: `t${added}` },
    });
    assert.equal(t.statusCode, 201);
  }

  async function getPage(url: string): Promise<{ page: Page; link: string | undefined }> {
    const r = await call(h.api, { method: 'GET', url, auth: admin });
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
    const link = r.headers.link;
    return { page: r.data as Page, link: typeof link === 'string' ? link : undefined };
  }

  /** Follows Link: rel="next" from the first page, checking it agrees with nextCursor. */
  async function walk(list: List, limit: number, between?: () => Promise<void>): Promise<unknown[]> {
    const keys: unknown[] = [];
    let url: string | null = `${list.url}?limit=${limit}`;
    while (url !== null) {
      const { page, link }: { page: Page; link: string | undefined } = await getPage(url);
      assert.ok(page.items.length <= limit);
      keys.push(...page.items.map((i) => i[list.key]));
      if (page.nextCursor === null) {
        assert.equal(link, undefined, `${list.url}: a Link on the last page`);
        url = null;
      } else {
        const m = /^<([^>]+)>; rel="next"$/.exec(link ?? '');
        assert.ok(m?.[1], `${list.url}: no Link rel="next" (${String(link)})`);
        const next = new URL(m[1], 'http://x');
        assert.equal(next.searchParams.get('cursor'), page.nextCursor);
        assert.equal(next.searchParams.get('limit'), String(limit));
        url = `${next.pathname}${next.search}`;
        assert.ok(url.startsWith(API));
        if (between) await between();
      }
    }
    return keys;
  }

  for (const list of LISTS) {
    it(`${list.url}: pages of 2 cover the whole list exactly once, in the order of one unpaged call`, async () => {
      for (let i = 0; i < 5; i++) await addItems();
      const whole = (await getPage(`${list.url}?limit=${MAX_PAGE_SIZE}`)).page;
      assert.equal(whole.nextCursor, null);
      const all = whole.items.map((i) => i[list.key]);
      assert.ok(all.length >= 5, `${list.url}: only ${all.length} items`);
      assert.deepEqual(await walk(list, 2), all);
    });

    it(`${list.url}: items added while paging neither repeat nor push out an item`, async () => {
      const before = (await getPage(`${list.url}?limit=${MAX_PAGE_SIZE}`)).page.items.map((i) => i[list.key]);
      const seen = await walk(list, 2, addItems);
      assert.equal(new Set(seen).size, seen.length, `${list.url}: an item came twice`);
      for (const key of before) assert.ok(seen.includes(key), `${list.url}: ${String(key)} was skipped`);
    });

    it(`${list.url}: limit 0, limit over ${MAX_PAGE_SIZE}, a bad cursor and an unknown parameter are refused naming the parameter`, async () => {
      for (const [query, field] of [
        ['limit=0', 'query.limit'],
        [`limit=${MAX_PAGE_SIZE + 1}`, 'query.limit'],
        ['cursor=bm90LWEtY3Vyc29y', 'query.cursor'],
        ['colour=blue', 'query.colour'],
      ] as const) {
        const r = await call(h.api, { method: 'GET', url: `${list.url}?${query}`, auth: admin });
        assert.equal(r.statusCode, 400, `${list.url}?${query}`);
        const { error } = r.data as { error: { code: string; message: string } };
        assert.equal(error.code, 'invalid_request');
        assert.ok(error.message.startsWith(`${field}: `), `${list.url}?${query}: ${error.message}`);
      }
    });
  }

  it('a default page is 50 items', async () => {
    const r = await getPage('/admin/audit');
    assert.ok(r.page.items.length <= 50);
    if (r.page.nextCursor !== null) assert.equal(r.page.items.length, 50);
  });
});
