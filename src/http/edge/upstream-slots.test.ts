import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlotGate } from './upstream-slots.js';

describe('SlotGate', () => {
  it('grants up to the capacity, then answers null after the wait', async () => {
    const gate = new SlotGate(2, 10, 50);
    const a = await gate.acquire('a');
    const b = await gate.acquire('b');
    assert.ok(a && b);
    const t0 = Date.now();
    assert.equal(await gate.acquire('c'), null);
    assert.ok(Date.now() - t0 >= 45);
    assert.equal(gate.waiting, 0);
    assert.equal(gate.held(), 2);
  });

  it('limits each key, while other keys still get slots', async () => {
    const gate = new SlotGate(10, 2, 0);
    assert.ok(await gate.acquire('a'));
    assert.ok(await gate.acquire('a'));
    assert.equal(await gate.acquire('a'), null);
    assert.ok(await gate.acquire('b'));
    assert.equal(gate.held('a'), 2);
    assert.equal(gate.held('b'), 1);
  });

  it('hands a released slot to the first waiter that fits, skipping a key at its limit', async () => {
    const gate = new SlotGate(2, 1, 1_000);
    const a = await gate.acquire('a');
    const b = await gate.acquire('b');
    assert.ok(a && b);
    const order: string[] = [];
    const second = gate.acquire('a').then((r) => {
      order.push('a');
      return r;
    });
    const third = gate.acquire('c').then((r) => {
      order.push('c');
      return r;
    });
    assert.equal(gate.waiting, 2);
    b(); // 'a' still holds its one slot: the slot goes to 'c'
    const c = await third;
    assert.ok(c);
    assert.deepEqual(order, ['c']);
    a();
    const a2 = await second;
    assert.ok(a2);
    assert.deepEqual(order, ['c', 'a']);
    assert.equal(gate.held(), 2);
    a2();
    c();
    assert.equal(gate.held(), 0);
  });

  it('gives a slot back once, however often release is called', async () => {
    const gate = new SlotGate(1, 1, 0);
    const r = await gate.acquire('a');
    assert.ok(r);
    r();
    r();
    assert.equal(gate.held(), 0);
    assert.ok(await gate.acquire('a'));
    assert.equal(gate.held(), 1);
  });
});
