import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entityTag, ifMatchAllows, ObjectLocks } from '../src/http/api/preconditions.js';
import { ADMIN_PASSWORD, basic, call, useHarness } from './support/harness.js';

/** Lost updates (issue 19): ETag on GET, If-Match on PATCH/DELETE, 412 on a stale version. */

describe('If-Match', () => {
  const tag = entityTag({ a: 1 });

  it('allows a write without the header, with *, or with the current tag in a list; never a weak tag', () => {
    assert.equal(ifMatchAllows(undefined, tag), true);
    assert.equal(ifMatchAllows('*', tag), true);
    assert.equal(ifMatchAllows(tag, tag), true);
    assert.equal(ifMatchAllows(`"other", ${tag}`, tag), true);
    assert.equal(ifMatchAllows('"other"', tag), false);
    assert.equal(ifMatchAllows(`W/${tag}`, tag), false);
    assert.equal(ifMatchAllows('', tag), false);
  });

  it('tags the same state the same whatever the key order, and another state differently', () => {
    assert.equal(entityTag({ a: 1, b: [1, { c: 2, d: 3 }] }), entityTag({ b: [1, { d: 3, c: 2 }], a: 1 }));
    assert.notEqual(entityTag({ a: 1 }), entityTag({ a: 2 }));
    assert.match(tag, /^"[A-Za-z0-9_-]+"$/);
  });

  it('runs the writes to one object one after another, and to two objects side by side', async () => {
    const locks = new ObjectLocks();
    const order: string[] = [];
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = locks.run('a', async () => {
      order.push('a1 start');
      await gate;
      order.push('a1 end');
    });
    const second = locks.run('a', async () => {
      order.push('a2');
    });
    await locks.run('b', async () => {
      order.push('b');
    });
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['a1 start', 'b', 'a1 end', 'a2']);
    // A failed write does not block the next one.
    await assert.rejects(locks.run('a', () => Promise.reject(new Error('boom'))));
    assert.equal(await locks.run('a', async () => 'next'), 'next');
  });
});

interface Conflict {
  error: { code: string; message: string };
}

describe('ETag and If-Match on the API', () => {
  const admin = basic('admin', ADMIN_PASSWORD);
  const h = useHarness(async (started) => {
    await started.addUser('alice', ['dev'], 'alice-password-1');
  });

  async function newToken(description: string): Promise<string> {
    const r = await call(h.api, { method: 'POST', url: '/tokens', auth: admin, body: { description } });
    return (r.data as { record: { id: string } }).record.id;
  }

  it('token: two edits from the same ETag, sent together: one wins, the other gets 412 and changes nothing', async () => {
    const id = await newToken('v0');
    const read = await call(h.api, { method: 'GET', url: `/tokens/${id}`, auth: admin });
    const etag = String(read.headers.etag);
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    const [a, b] = await Promise.all(
      ['from A', 'from B'].map((description) =>
        call(h.api, {
          method: 'PATCH',
          url: `/tokens/${id}`,
          auth: admin,
          headers: { 'if-match': etag },
          body: { description },
        }),
      ),
    );
    const statuses = [a?.statusCode, b?.statusCode].sort();
    assert.deepEqual(statuses, [200, 412]);
    const winner = a?.statusCode === 200 ? a : b;
    const loser = a?.statusCode === 200 ? b : a;
    assert.equal((loser?.data as Conflict).error.code, 'precondition_failed');
    const now = await call(h.api, { method: 'GET', url: `/tokens/${id}`, auth: admin });
    assert.equal(
      (now.data as { description: string }).description,
      (winner?.data as { description: string }).description,
    );
    // The winner's response carries the new version, and it is what a GET says.
    assert.equal(winner?.headers.etag, now.headers.etag);
    assert.notEqual(now.headers.etag, etag);
    // One audit record for the one change.
    const changes = (await h.ctx.store.audit.list({ limit: 1000 })).filter(
      (r) => r.tokenId === id && r.action === 'token.updated',
    );
    assert.equal(changes.length, 1);
  });

  it('token: a stale ETag cannot revoke; the current one can, and the owner route and the manager route agree', async () => {
    const id = await newToken('keep');
    const stale = String(
      (await call(h.api, { method: 'GET', url: `/tokens/${id}`, auth: admin })).headers.etag,
    );
    const managerView = await call(h.api, { method: 'GET', url: `/admin/tokens/${id}`, auth: admin });
    assert.equal(managerView.headers.etag, stale);
    await call(h.api, {
      method: 'PATCH',
      url: `/tokens/${id}`,
      auth: admin,
      body: { description: 'changed' },
    });
    for (const url of [`/tokens/${id}`, `/admin/tokens/${id}`]) {
      const r = await call(h.api, { method: 'DELETE', url, auth: admin, headers: { 'if-match': stale } });
      assert.equal(r.statusCode, 412, url);
    }
    const fresh = await call(h.api, { method: 'GET', url: `/tokens/${id}`, auth: admin });
    assert.equal((fresh.data as { status: string }).status, 'active');
    const del = await call(h.api, {
      method: 'DELETE',
      url: `/admin/tokens/${id}`,
      auth: admin,
      headers: { 'if-match': String(fresh.headers.etag) },
    });
    assert.equal(del.statusCode, 204);
  });

  it('user: a stale If-Match on PATCH and DELETE gets 412 and leaves the user as it was', async () => {
    const first = await call(h.api, { method: 'GET', url: '/admin/users/alice', auth: admin });
    const etag = String(first.headers.etag);
    const ok = await call(h.api, {
      method: 'PATCH',
      url: '/admin/users/alice',
      auth: admin,
      headers: { 'if-match': etag },
      body: { displayName: 'Alice A' },
    });
    assert.equal(ok.statusCode, 200);
    const stalePatch = await call(h.api, {
      method: 'PATCH',
      url: '/admin/users/alice',
      auth: admin,
      headers: { 'if-match': etag },
      body: { displayName: 'Alice B', groups: [] },
    });
    assert.equal(stalePatch.statusCode, 412);
    const staleDelete = await call(h.api, {
      method: 'DELETE',
      url: '/admin/users/alice',
      auth: admin,
      headers: { 'if-match': etag },
    });
    assert.equal(staleDelete.statusCode, 412);
    const now = await call(h.api, { method: 'GET', url: '/admin/users/alice', auth: admin });
    assert.equal((now.data as { displayName: string }).displayName, 'Alice A');
    assert.deepEqual((now.data as { groups: string[] }).groups, ['dev']);
    assert.equal(now.headers.etag, ok.headers.etag);
  });

  it('settings: a PATCH with the ETag of before another change gets 412 and writes nothing', async () => {
    const read = await call(h.api, { method: 'GET', url: '/admin/settings', auth: admin });
    const etag = String(read.headers.etag);
    const a = await call(h.api, {
      method: 'PATCH',
      url: '/admin/settings',
      auth: admin,
      headers: { 'if-match': etag },
      body: { 'tokens.maxPerUser': 77 },
    });
    assert.equal(a.statusCode, 200);
    const b = await call(h.api, {
      method: 'PATCH',
      url: '/admin/settings',
      auth: admin,
      headers: { 'if-match': etag },
      body: { 'tokens.maxPerUser': 33 },
    });
    assert.equal(b.statusCode, 412);
    const now = await call(h.api, { method: 'GET', url: '/admin/settings', auth: admin });
    assert.equal((now.data as Record<string, unknown>)['tokens.maxPerUser'], 77);
    assert.equal(now.headers.etag, a.headers.etag);
  });

  it('without If-Match a write goes ahead as before', async () => {
    const id = await newToken('plain');
    const r = await call(h.api, {
      method: 'PATCH',
      url: `/tokens/${id}`,
      auth: admin,
      body: { description: 'x' },
    });
    assert.equal(r.statusCode, 200);
    assert.equal(
      (await call(h.api, { method: 'PATCH', url: '/admin/users/alice', auth: admin, body: { email: null } }))
        .statusCode,
      200,
    );
  });

  it('a 412 never tells a caller about an object it may not see: 404 comes first', async () => {
    const id = await newToken('admin only');
    const alice = basic('alice', 'alice-password-1');
    const r = await call(h.api, {
      method: 'PATCH',
      url: `/tokens/${id}`,
      auth: alice,
      headers: { 'if-match': '"x"' },
      body: { description: 'y' },
    });
    assert.equal(r.statusCode, 404);
  });
});
