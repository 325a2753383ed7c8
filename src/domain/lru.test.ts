import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache } from './lru.js';

const T0 = 1_000_000;

describe('LruCache', () => {
  it('stores and returns values', () => {
    const c = new LruCache<string, number>(3, 1000);
    c.set('a', 1, T0);
    assert.equal(c.get('a', T0), 1);
    assert.equal(c.get('b', T0), undefined);
    assert.equal(c.size, 1);
  });

  it('drops the least recently set entry when full', () => {
    const c = new LruCache<string, number>(2, 1000);
    c.set('a', 1, T0);
    c.set('b', 2, T0);
    c.set('c', 3, T0);
    assert.equal(c.size, 2);
    assert.equal(c.get('a', T0), undefined);
    assert.equal(c.get('b', T0), 2);
    assert.equal(c.get('c', T0), 3);
  });

  it('counts a get as a use', () => {
    const c = new LruCache<string, number>(2, 10_000);
    c.set('a', 1, T0);
    c.set('b', 2, T0);
    assert.equal(c.get('a', T0 + 1_000), 1);
    c.set('c', 3, T0 + 1_000);
    assert.equal(c.get('b', T0 + 1_000), undefined);
    assert.equal(c.get('a', T0 + 1_000), 1);
    assert.equal(c.get('c', T0 + 1_000), 3);
  });

  it('keeps recency to the second: a get soon after the last use does not reorder', () => {
    const c = new LruCache<string, number>(2, 10_000);
    c.set('a', 1, T0);
    c.set('b', 2, T0);
    assert.equal(c.get('a', T0 + 999), 1);
    c.set('c', 3, T0 + 999);
    // 'a' was used 999 ms after it was set: within the touch interval, it stayed the oldest.
    assert.equal(c.get('a', T0 + 999), undefined);
    assert.equal(c.get('b', T0 + 999), 2);
  });

  it('counts a set of an existing key as a use and replaces the value', () => {
    const c = new LruCache<string, number>(2, 1000);
    c.set('a', 1, T0);
    c.set('b', 2, T0);
    c.set('a', 10, T0);
    assert.equal(c.size, 2);
    c.set('c', 3, T0);
    assert.equal(c.get('b', T0), undefined);
    assert.equal(c.get('a', T0), 10);
  });

  it('never holds more than maxEntries', () => {
    const c = new LruCache<number, number>(5, 1000);
    for (let i = 0; i < 100; i++) {
      c.set(i, i, T0);
      assert.ok(c.size <= 5);
    }
    assert.equal(c.size, 5);
    for (let i = 0; i < 95; i++) assert.equal(c.get(i, T0), undefined);
    for (let i = 95; i < 100; i++) assert.equal(c.get(i, T0), i);
  });

  it('expires entries ttl after they were set', () => {
    const c = new LruCache<string, number>(3, 1000);
    c.set('a', 1, T0);
    assert.equal(c.get('a', T0 + 999), 1);
    assert.equal(c.get('a', T0 + 1000), undefined);
    assert.equal(c.size, 0, 'an expired entry is removed when seen');
  });

  it('does not extend the lifetime on get, but does on set', () => {
    const c = new LruCache<string, number>(3, 1000);
    c.set('a', 1, T0);
    assert.equal(c.get('a', T0 + 900), 1);
    assert.equal(c.get('a', T0 + 1000), undefined);
    c.set('b', 1, T0);
    c.set('b', 2, T0 + 900);
    assert.equal(c.get('b', T0 + 1500), 2);
    assert.equal(c.get('b', T0 + 1900), undefined);
  });

  it('calls onEvict with the key and value of the entry dropped for space', () => {
    const evicted: Array<[string, number]> = [];
    const c = new LruCache<string, number>(2, 10_000, (k, v) => evicted.push([k, v]));
    c.set('a', 1, T0);
    c.set('b', 2, T0);
    assert.deepEqual(evicted, []);
    c.get('a', T0 + 1_000);
    c.set('c', 3, T0 + 1_000);
    assert.deepEqual(evicted, [['b', 2]]);
    c.set('d', 4, T0 + 1_000);
    assert.deepEqual(evicted, [
      ['b', 2],
      ['a', 1],
    ]);
  });

  it('does not call onEvict when a key is replaced, deleted or cleared', () => {
    let calls = 0;
    const c = new LruCache<string, number>(2, 1000, () => calls++);
    c.set('a', 1, T0);
    c.set('a', 2, T0);
    c.delete('a');
    c.set('b', 1, T0);
    c.clear();
    assert.equal(calls, 0);
    assert.equal(c.size, 0);
  });

  it('deletes and clears', () => {
    const c = new LruCache<string, number>(3, 1000);
    c.set('a', 1, T0);
    c.set('b', 2, T0);
    c.delete('a');
    assert.equal(c.get('a', T0), undefined);
    assert.equal(c.get('b', T0), 2);
    c.delete('missing');
    c.clear();
    assert.equal(c.size, 0);
    assert.equal(c.get('b', T0), undefined);
  });

  it('can cache null values', () => {
    const c = new LruCache<string, null>(3, 1000);
    c.set('gone', null, T0);
    assert.equal(c.get('gone', T0), null);
    assert.equal(c.get('other', T0), undefined);
  });
});
