import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setsCookie, withoutCookie } from './cookie-filter.js';

describe('withoutCookie', () => {
  const cases: Array<[string, string | null]> = [
    ['a=1; s=x; b=2', 'a=1; b=2'],
    ['s=x; a=1', 'a=1'],
    ['a=1;s=x', 'a=1'],
    ['s=x', null],
    [' s=x ;  s=y', null],
    ['a=1 ; s =x;b=q=2', 'a=1 ;b=q=2'],
    ['as=1; sa=2; S=3', 'as=1; sa=2; S=3'],
    ['a="s=x"; b=2', 'a="s=x"; b=2'],
    ['s; a=1', 's; a=1'],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(withoutCookie(header, 's'), expected);
    });
  }

  it('returns a header that never mentions the name unchanged', () => {
    const header = 'a=1;  b=2 ;c';
    assert.equal(withoutCookie(header, 'tg_session'), header);
  });
});

describe('setsCookie', () => {
  const cases: Array<[string, boolean]> = [
    ['s=x', true],
    ['s=; Max-Age=0', true],
    [' s =x; Path=/', true],
    ['s=x=y; HttpOnly', true],
    ['S=x', false],
    ['as=x', false],
    ['sa=x', false],
    ['a=s=x', false],
    ['a=1; s=x', false],
    ['s; a=1', false],
    ['a=1; Path=/s', false],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} → ${expected}`, () => {
      assert.equal(setsCookie(value, 's'), expected);
    });
  }
});
