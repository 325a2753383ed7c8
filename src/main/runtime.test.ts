import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Runtime } from './runtime.js';

/** A module that records its start and stop in `steps`. */
function recorder(steps: string[]) {
  return (name: string, opts: { failStop?: boolean } = {}) =>
    async (): Promise<{ name: string; stop(): Promise<void> }> => {
      await Promise.resolve();
      steps.push(`start ${name}`);
      return {
        name,
        stop: async () => {
          await Promise.resolve();
          steps.push(`stop ${name}`);
          if (opts.failStop) throw new Error(`${name} failed to stop`);
        },
      };
    };
}

describe('Runtime', () => {
  it('starts modules in order, hands back what each built, and stops them in reverse order', async () => {
    const steps: string[] = [];
    const mod = recorder(steps);
    const runtime = new Runtime();
    const a = await runtime.start('a', mod('a'));
    const b = await runtime.start('b', mod('b'));
    // A module may be synchronous.
    const c = await runtime.start('c', () => {
      steps.push('start c');
      return { value: 3, stop: () => void steps.push('stop c') };
    });
    assert.equal(a.name, 'a');
    assert.equal(b.name, 'b');
    assert.equal(c.value, 3);
    assert.deepEqual(runtime.names, ['a', 'b', 'c']);
    await runtime.stop();
    assert.deepEqual(steps, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    assert.deepEqual(runtime.names, []);
  });

  it('stops the modules already started, in reverse, when a later start throws, and throws its error', async () => {
    const steps: string[] = [];
    const mod = recorder(steps);
    const runtime = new Runtime();
    await runtime.start('a', mod('a'));
    await runtime.start('b', mod('b'));
    await assert.rejects(
      runtime.start('c', async () => {
        await Promise.resolve();
        steps.push('start c');
        throw new Error('c cannot start');
      }),
      /c cannot start/,
    );
    assert.deepEqual(steps, ['start a', 'start b', 'start c', 'stop b', 'stop a']);
    // Nothing more starts, and a later stop() does not stop anything twice.
    await assert.rejects(runtime.start('d', mod('d')), /the runtime is stopped; cannot start "d"/);
    await runtime.stop();
    assert.deepEqual(steps, ['start a', 'start b', 'start c', 'stop b', 'stop a']);
  });

  it('throws the start error, not a stop error, when undoing a failed start also fails', async () => {
    const steps: string[] = [];
    const mod = recorder(steps);
    const reported: string[] = [];
    const runtime = new Runtime({ onStopError: (name) => reported.push(name) });
    await runtime.start('a', mod('a'));
    await runtime.start('b', mod('b', { failStop: true }));
    await assert.rejects(
      runtime.start('c', () => {
        throw new Error('c cannot start');
      }),
      /c cannot start/,
    );
    assert.deepEqual(steps, ['start a', 'start b', 'stop b', 'stop a']);
    assert.deepEqual(reported, ['b']);
  });

  it('runs every stop when one fails, then throws the first failure; stop() is idempotent', async () => {
    const steps: string[] = [];
    const mod = recorder(steps);
    const reported: string[] = [];
    const runtime = new Runtime({ onStopError: (name) => reported.push(name) });
    await runtime.start('a', mod('a', { failStop: true }));
    await runtime.start('b', mod('b'));
    await runtime.start('c', mod('c', { failStop: true }));
    const first = runtime.stop();
    assert.equal(runtime.stop(), first);
    await assert.rejects(first, /c failed to stop/);
    assert.deepEqual(steps, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    assert.deepEqual(reported, ['c', 'a']);
  });
});
