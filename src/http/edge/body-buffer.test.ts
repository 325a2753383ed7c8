import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { BufferBudget, readBody, watchIdle } from './body-buffer.js';

const limits = (budget = new BufferBudget(1_000), maxBytes = 100, idleMs = 1_000) => ({
  budget,
  maxBytes,
  idleMs,
});

describe('BufferBudget', () => {
  it('charges up to its limit and no further', () => {
    const b = new BufferBudget(10);
    assert.equal(b.take(6), true);
    assert.equal(b.take(5), false);
    assert.equal(b.inUse, 6);
    b.give(6);
    assert.equal(b.take(10), true);
  });
});

describe('readBody', () => {
  it('reads a whole body and keeps it charged', async () => {
    const budget = new BufferBudget(1_000);
    const s = new PassThrough();
    const p = readBody(s, limits(budget));
    s.write('hello ');
    s.end('world');
    const r = await p;
    assert.equal(r.kind, 'complete');
    assert.equal(r.kind === 'complete' && r.body.toString(), 'hello world');
    assert.equal(budget.inUse, 11);
  });

  it('overflows past maxBytes, pausing the stream with the rest unread', async () => {
    const budget = new BufferBudget(1_000);
    const s = new PassThrough();
    const p = readBody(s, limits(budget, 5));
    s.write('abc');
    await new Promise((r) => setImmediate(r));
    s.write('defg');
    s.write('rest');
    const r = await p;
    assert.equal(r.kind, 'overflow');
    if (r.kind !== 'overflow') return;
    assert.equal(r.reason, 'size');
    assert.equal(Buffer.concat(r.prefix).toString(), 'abcdefg');
    assert.equal(r.charged, 3);
    assert.equal(budget.inUse, 3);
    assert.equal(s.isPaused(), true);
    s.end();
    const rest: Buffer[] = [];
    for await (const c of s) rest.push(c as Buffer);
    assert.equal(Buffer.concat(rest).toString(), 'rest');
  });

  it('overflows when the process-wide budget is spent', async () => {
    const budget = new BufferBudget(4);
    assert.equal(budget.take(2), true);
    const s = new PassThrough();
    const p = readBody(s, limits(budget));
    s.write('ab');
    await new Promise((r) => setImmediate(r));
    s.write('cd');
    const r = await p;
    assert.equal(r.kind === 'overflow' && r.reason, 'budget');
    assert.equal(budget.inUse, 4);
  });

  it('gives up after idleMs without a byte and gives the charge back', async () => {
    const budget = new BufferBudget(1_000);
    const s = new PassThrough();
    const p = readBody(s, limits(budget, 100, 80));
    s.write('abc');
    const t0 = Date.now();
    assert.deepEqual(await p, { kind: 'idle' });
    assert.ok(Date.now() - t0 >= 70);
    assert.equal(budget.inUse, 0);
  });

  it('reports a client that went away and gives the charge back', async () => {
    const budget = new BufferBudget(1_000);
    const s = new PassThrough();
    const p = readBody(s, limits(budget));
    s.write('abc');
    await new Promise((r) => setImmediate(r));
    s.destroy(new Error('reset'));
    assert.deepEqual(await p, { kind: 'aborted' });
    assert.equal(budget.inUse, 0);
  });
});

describe('watchIdle', () => {
  it('fires after a silence, not while bytes flow', async () => {
    const s = new PassThrough();
    s.resume();
    let fired = 0;
    watchIdle(
      s,
      60,
      () => false,
      () => fired++,
    );
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 30));
      s.write('x');
    }
    assert.equal(fired, 0);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(fired, 1);
  });

  it('does not count a silence caused by backpressure, nor one after the end', async () => {
    const s = new PassThrough();
    s.resume();
    let fired = 0;
    let pressured = true;
    watchIdle(
      s,
      30,
      () => pressured,
      () => fired++,
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fired, 0);
    pressured = false;
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(fired, 1);
    const s2 = new PassThrough();
    s2.resume();
    watchIdle(
      s2,
      30,
      () => false,
      () => fired++,
    );
    s2.end();
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(fired, 1);
  });
});
