import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heldBack, LogThrottle } from './throttle.js';

describe('LogThrottle', () => {
  it('lets one line through per interval and counts the ones it held back', () => {
    let t = 1_000;
    const th = new LogThrottle(10_000, () => t);
    assert.equal(th.pass(), 0);
    assert.equal(th.pass(), null);
    t += 9_999;
    assert.equal(th.pass(), null);
    t += 1;
    assert.equal(th.pass(), 2);
    assert.equal(heldBack(2), ' (and 2 more like it since the last line)');
    assert.equal(heldBack(0), '');
  });
});
