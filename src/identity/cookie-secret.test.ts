import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { COOKIE_SECRET_KEY, loadCookieSecret } from './cookie-secret.js';

describe('the cookie-sealing secret', () => {
  it('is made once and then kept', async () => {
    const handle = await openDatabase({ url: ':memory:' });
    try {
      const store = new Store(handle.db, handle.dialect);
      const first = await loadCookieSecret(store, 1);
      assert.ok(first.length >= 43);
      assert.equal(await loadCookieSecret(store, 2), first);
    } finally {
      await handle.close();
    }
  });

  it('is never overwritten by a second first start: the write only adds a missing key', async () => {
    // Another node read "no secret" at the same moment and writes after this one: putIfAbsent keeps
    // the first value, which both then read back.
    const handle = await openDatabase({ url: ':memory:' });
    try {
      const store = new Store(handle.db, handle.dialect);
      const first = await loadCookieSecret(store, 1);
      await store.settings.putIfAbsent(COOKIE_SECRET_KEY, 'y'.repeat(43), 2, '@tokengate');
      assert.equal((await store.settings.all())[COOKIE_SECRET_KEY], first);
      assert.equal(await loadCookieSecret(store, 3), first);
    } finally {
      await handle.close();
    }
  });

  it('replaces a stored value too short to be one', async () => {
    const handle = await openDatabase({ url: ':memory:' });
    try {
      const store = new Store(handle.db, handle.dialect);
      await store.settings.put(COOKIE_SECRET_KEY, 'short', 1, 'test');
      const secret = await loadCookieSecret(store, 2);
      assert.notEqual(secret, 'short');
      assert.ok(secret.length >= 43);
    } finally {
      await handle.close();
    }
  });
});
