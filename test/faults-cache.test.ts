import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredToken } from '../src/domain/token/token.js';
import type { StoredUser } from '../src/domain/user.js';
import { ChangeFeed } from '../src/services/change-feed.js';
import { CredentialCache, type CachedToken } from '../src/auth/credential-cache.js';
import { isDatabaseUnavailable } from '../src/store/db-errors.js';
import type { Store } from '../src/store/store.js';
import { ownerFixture, tokenFixture } from './support/domain-fixtures.js';

/**
 * The cache side of the outage policy (docs/security.md, "Faults: what fails open or closed"), on a
 * clock the test holds: while the database is unreachable, a cached token and its owner are served
 * until `cache.ttlSeconds` after they were read, never longer (using them does not extend it), and
 * then the lookup fails with the database's error, which the edges answer with 503. And what makes
 * a token warm in the first place: a read is cached unless a notice about that same record came while
 * it was under way.
 */

const TTL_MS = 60_000;
const T0 = 1_800_000_000_000;
const HASH = 'a'.repeat(64);
const REFUSED = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A store with one token and its owner, that can be taken down, or made to answer when told. */
function fakeStore(): {
  store: Store;
  token: StoredToken;
  state: { down: boolean; reads: number; hold: Deferred<undefined> | null };
} {
  const token = tokenFixture(T0, { id: 'tok_warm', hash: HASH, expiresAt: T0 + 365 * 86_400_000 });
  const owner: StoredUser = { ...ownerFixture(T0), passwordHash: null };
  const state = { down: false, reads: 0, hold: null as Deferred<undefined> | null };
  const read = async <T>(value: T): Promise<T> => {
    state.reads++;
    await state.hold?.promise;
    if (state.down) throw REFUSED;
    return value;
  };
  const store = {
    tokens: {
      findByHash: (hash: string) => read(hash === HASH ? token : null),
      findRotated: () => read(null),
    },
    users: { find: (username: string) => read(username === owner.username ? owner : null) },
  } as unknown as Store;
  return { store, token, state };
}

function setup(): ReturnType<typeof fakeStore> & { cache: CredentialCache; feed: ChangeFeed } {
  const f = fakeStore();
  const feed = new ChangeFeed(f.store);
  const cache = new CredentialCache(f.store, feed, { maxEntries: 100, ttlMs: TTL_MS });
  return { ...f, cache, feed };
}

async function lookup(cache: CredentialCache, now: number): Promise<CachedToken | null> {
  return cache.token(HASH, now);
}

describe('the credential cache while the database is away', () => {
  it('serves a cached token and owner until the lifetime after the read, then the lookup fails', async () => {
    const { cache, state } = setup();
    assert.ok(await lookup(cache, T0));
    assert.ok(await cache.user('alice', T0));
    state.down = true;
    // Used throughout the outage: still the entries read at T0, from memory.
    for (const at of [T0 + 1, T0 + TTL_MS / 2, T0 + TTL_MS - 1]) {
      assert.ok(cache.warmToken(HASH, at), `not served ${at - T0} ms after the read`);
      assert.ok(cache.warmUser('alice', at), `owner not served ${at - T0} ms after the read`);
    }
    assert.equal(state.reads, 2, 'a cached token needs no database');
    // The lifetime counts from the read, not from the last use: at T0 + TTL it is over.
    assert.equal(cache.warmToken(HASH, T0 + TTL_MS), undefined);
    await assert.rejects(lookup(cache, T0 + TTL_MS), (err) => isDatabaseUnavailable(err));
    await assert.rejects(Promise.resolve(cache.user('alice', T0 + TTL_MS)), (err) =>
      isDatabaseUnavailable(err),
    );
  });

  it('a failed read caches nothing, and the database returning ends the outage at once', async () => {
    const { cache, state } = setup();
    state.down = true;
    await assert.rejects(lookup(cache, T0), (err) => isDatabaseUnavailable(err));
    await assert.rejects(lookup(cache, T0 + 1), (err) => isDatabaseUnavailable(err));
    assert.equal(state.reads, 2, 'each lookup during the outage asks the database again');
    state.down = false;
    assert.ok(await lookup(cache, T0 + 2));
    assert.ok(cache.warmToken(HASH, T0 + 3), 'cached once the database answers');
  });

  it('a read overtaken by a notice about the same token is served but not cached', async () => {
    const { cache, feed, state, token } = setup();
    state.hold = deferred<undefined>();
    const pending = lookup(cache, T0);
    // Revoked elsewhere while the read was under way: the record read may be the old one.
    feed.receive('token', [token.id]);
    state.hold.resolve(undefined);
    assert.ok(await pending, 'the caller still gets what was read');
    assert.equal(cache.warmToken(HASH, T0 + 1), undefined);
  });

  it('a read overtaken only by notices about other records is cached', async () => {
    const { cache, feed, state } = setup();
    state.hold = deferred<undefined>();
    const pending = lookup(cache, T0);
    const user = Promise.resolve(cache.user('alice', T0));
    // A busy cluster: tokens, users and settings change elsewhere all the time.
    feed.receive('token', ['tok_other']);
    feed.receive('user', ['bob']);
    feed.receive('settings', ['*']);
    state.hold.resolve(undefined);
    assert.ok(await pending);
    assert.ok(await user);
    assert.ok(cache.warmToken(HASH, T0 + 1), 'the token stayed cold');
    assert.ok(cache.warmUser('alice', T0 + 1), 'the owner stayed cold');
  });

  it("a user's read overtaken by a notice about that user is not cached", async () => {
    const { cache, feed, state } = setup();
    state.hold = deferred<undefined>();
    const pending = Promise.resolve(cache.user('alice', T0));
    feed.receive('user', ['alice']);
    state.hold.resolve(undefined);
    assert.ok(await pending);
    assert.equal(cache.warmUser('alice', T0 + 1), undefined);
  });
});
