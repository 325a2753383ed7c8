import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requestIds } from './request-id.js';

const GENERATED = /^([0-9a-f]{8})-([0-9a-z]+)$/;

function prefixOf(id: string): string {
  const m = GENERATED.exec(id);
  assert.ok(m, `not a generated id: ${JSON.stringify(id)}`);
  return m[1] ?? '';
}

describe('requestIds', () => {
  it('keeps a short, plain id the caller sent', () => {
    const next = requestIds();
    for (const given of [
      'abc',
      'A1',
      '920x447x1',
      'req-1.2_3:4',
      'x'.repeat(64),
      '550e8400-e29b-41d4-a716-446655440000',
    ]) {
      assert.equal(next(given), given);
    }
  });

  it('replaces an id longer than 64 characters', () => {
    const next = requestIds();
    const id = next('x'.repeat(65));
    assert.notEqual(id, 'x'.repeat(65));
    prefixOf(id);
  });

  it('replaces an id with spaces, a newline or other characters', () => {
    const next = requestIds();
    for (const given of [
      'a b',
      ' abc',
      'abc ',
      'abc\n',
      '\nabc',
      'a\nb',
      'a\r\nb',
      'a\tb',
      'a/b',
      'a"b',
      'ä',
      '',
    ]) {
      const id = next(given);
      assert.notEqual(id, given, JSON.stringify(given));
      prefixOf(id);
    }
  });

  it('replaces a repeated header (an array), even of valid ids', () => {
    const next = requestIds();
    for (const given of [['abc'], ['abc', 'def'], []]) {
      const id = next(given);
      assert.ok(!given.includes(id));
      prefixOf(id);
    }
  });

  it('generates an id when none was sent', () => {
    prefixOf(requestIds()(undefined));
  });

  it('generated ids are unique across 10,000 calls and share the prefix of their factory', () => {
    const next = requestIds();
    const ids = new Set<string>();
    const prefixes = new Set<string>();
    for (let k = 0; k < 10_000; k++) {
      const id = next(k % 2 === 0 ? undefined : 'bad id');
      ids.add(id);
      prefixes.add(prefixOf(id));
    }
    assert.equal(ids.size, 10_000);
    assert.equal(prefixes.size, 1);
  });

  it('keeping a given id does not disturb the generated sequence', () => {
    const next = requestIds();
    const a = next(undefined);
    assert.equal(next('given-1'), 'given-1');
    const b = next(undefined);
    assert.notEqual(a, b);
    assert.equal(prefixOf(a), prefixOf(b));
  });

  it('different factories have different prefixes', () => {
    const prefixes = new Set<string>();
    for (let k = 0; k < 20; k++) prefixes.add(prefixOf(requestIds()(undefined)));
    assert.equal(prefixes.size, 20);
  });

  it('ids of two factories do not collide', () => {
    const a = requestIds();
    const b = requestIds();
    const ids = new Set<string>();
    for (let k = 0; k < 1000; k++) {
      ids.add(a(undefined));
      ids.add(b(undefined));
    }
    assert.equal(ids.size, 2000);
  });
});
