import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store/store.js';
import type { LastUsed } from '../store/token-repo.js';
import { Jobs, type JobTimers } from '../services/jobs.js';
import { LastUsedRecorder } from './last-used.js';

const T = Date.UTC(2030, 5, 1);

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A store with only `transaction(fn)`, calling fn with `{ tokens: { touchLastUsed } }`. Each write is
 * recorded (a copy of its batch); `next` decides how the write ends: immediately, or when the test says.
 */
function fakeStore() {
  const writes: LastUsed[][] = [];
  const plan: Array<Deferred | Error> = [];
  let transactions = 0;
  const store = {
    transaction<T>(fn: (tx: unknown) => Promise<T>): Promise<T> {
      transactions++;
      return fn({
        tokens: {
          touchLastUsed(batch: readonly LastUsed[]): Promise<void> {
            writes.push(batch.map((u) => ({ ...u })));
            const step = plan.shift();
            if (step instanceof Error) return Promise.reject(step);
            return step ? step.promise : Promise.resolve();
          },
        },
      });
    },
  };
  return {
    store: store as unknown as Store,
    writes,
    /** The next write fails with this error. */
    failNext(err: Error) {
      plan.push(err);
    },
    /** The next write waits until the returned deferred settles. */
    holdNext(): Deferred {
      const d = deferred();
      plan.push(d);
      return d;
    },
    get transactions() {
      return transactions;
    },
  };
}

function byId(batch: readonly LastUsed[] | undefined): Record<string, { at: number; ip: string }> {
  assert.ok(batch, 'expected a write');
  const out: Record<string, { at: number; ip: string }> = {};
  for (const u of batch) {
    assert.equal(out[u.id], undefined, `token ${u.id} appears twice in one batch`);
    out[u.id] = { at: u.at, ip: u.ip };
  }
  return out;
}

function recorder(store: Store) {
  const errors: unknown[] = [];
  const r = new LastUsedRecorder(store, (err) => errors.push(err));
  return { r, errors };
}

describe('LastUsedRecorder', () => {
  it('record keeps one entry per token: the newest use', () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    r.record('tok_a', T, '192.0.2.1');
    r.record('tok_b', T + 5, '192.0.2.2');
    r.record('tok_a', T + 10, '192.0.2.3');
    assert.equal(r.size, 2);
  });

  it('flush writes everything pending in one batch, in one transaction', async () => {
    const f = fakeStore();
    const { r, errors } = recorder(f.store);
    r.record('tok_a', T, '192.0.2.1');
    r.record('tok_b', T + 5, '192.0.2.2');
    r.record('tok_a', T + 10, '192.0.2.3');
    await r.flush();
    assert.equal(f.transactions, 1);
    assert.equal(f.writes.length, 1);
    assert.deepEqual(byId(f.writes[0]), {
      tok_a: { at: T + 10, ip: '192.0.2.3' },
      tok_b: { at: T + 5, ip: '192.0.2.2' },
    });
    assert.equal(r.size, 0);
    assert.deepEqual(errors, []);
  });

  it('a use recorded out of order does not replace a newer one', async () => {
    // Requests take `now` when they arrive and record after an await (the rate limiter), so an
    // older use can be recorded after a newer one.
    const f = fakeStore();
    const { r } = recorder(f.store);
    r.record('tok_a', T + 10, '192.0.2.3');
    r.record('tok_a', T, '192.0.2.1');
    await r.flush();
    assert.deepEqual(byId(f.writes[0]), { tok_a: { at: T + 10, ip: '192.0.2.3' } });
  });

  it('flush with nothing pending does not open a transaction', async () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    await r.flush();
    assert.equal(f.transactions, 0);
    r.record('tok_a', T, '192.0.2.1');
    await r.flush();
    await r.flush();
    assert.equal(f.transactions, 1);
  });

  it('concurrent flush() calls share one write', async () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    const hold = f.holdNext();
    r.record('tok_a', T, '192.0.2.1');
    const first = r.flush();
    const second = r.flush();
    const third = r.flush();
    assert.equal(second, first);
    assert.equal(third, first);
    hold.resolve();
    await Promise.all([first, second, third]);
    assert.equal(f.writes.length, 1);
    assert.equal(f.transactions, 1);
  });

  it('a flush after the shared one finished writes again', async () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    const hold = f.holdNext();
    r.record('tok_a', T, '192.0.2.1');
    const first = r.flush();
    r.record('tok_b', T + 1, '192.0.2.2'); // arrives during the write
    hold.resolve();
    await first;
    assert.deepEqual(byId(f.writes[0]), { tok_a: { at: T, ip: '192.0.2.1' } });
    assert.equal(r.size, 1);
    const second = r.flush();
    assert.notEqual(second, first);
    await second;
    assert.deepEqual(byId(f.writes[1]), { tok_b: { at: T + 1, ip: '192.0.2.2' } });
    assert.equal(r.size, 0);
  });

  it('a failing write keeps the entries for the next flush and reports the error', async () => {
    const f = fakeStore();
    const { r, errors } = recorder(f.store);
    const boom = new Error('database is locked');
    f.failNext(boom);
    r.record('tok_a', T, '192.0.2.1');
    r.record('tok_b', T + 1, '192.0.2.2');
    await r.flush(); // resolves: the error goes to onError
    assert.deepEqual(errors, [boom]);
    assert.equal(r.size, 2);

    await r.flush();
    assert.equal(f.writes.length, 2);
    assert.deepEqual(byId(f.writes[1]), {
      tok_a: { at: T, ip: '192.0.2.1' },
      tok_b: { at: T + 1, ip: '192.0.2.2' },
    });
    assert.equal(r.size, 0);
    assert.deepEqual(errors, [boom]);
  });

  it('a write that fails after a while (rejected later) is kept too', async () => {
    const f = fakeStore();
    const { r, errors } = recorder(f.store);
    const hold = f.holdNext();
    r.record('tok_a', T, '192.0.2.1');
    const p = r.flush();
    const err = new Error('connection reset');
    hold.reject(err);
    await p;
    assert.deepEqual(errors, [err]);
    assert.equal(r.size, 1);
  });

  it('entries recorded during a failing flush are not overwritten by the retried older ones', async () => {
    const f = fakeStore();
    const { r, errors } = recorder(f.store);
    const hold = f.holdNext();
    r.record('tok_a', T, '192.0.2.1');
    r.record('tok_b', T, '192.0.2.1');
    const p = r.flush();
    r.record('tok_a', T + 50, '198.51.100.9'); // newer use while the write is in flight
    r.record('tok_c', T + 60, '198.51.100.9');
    hold.reject(new Error('deadlock'));
    await p;
    assert.equal(errors.length, 1);
    assert.equal(r.size, 3);

    await r.flush();
    assert.deepEqual(byId(f.writes[1]), {
      tok_a: { at: T + 50, ip: '198.51.100.9' },
      tok_b: { at: T, ip: '192.0.2.1' },
      tok_c: { at: T + 60, ip: '198.51.100.9' },
    });
  });

  it('a newer use recorded after a failed flush replaces the kept entry', async () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    f.failNext(new Error('down'));
    r.record('tok_a', T, '192.0.2.1');
    await r.flush();
    r.record('tok_a', T + 100, '192.0.2.7');
    await r.flush();
    assert.deepEqual(byId(f.writes[1]), { tok_a: { at: T + 100, ip: '192.0.2.7' } });
  });

  it('a use recorded while a write is in flight does not change the batch being written', async () => {
    let seen: LastUsed[] | undefined;
    const store = {
      transaction(fn: (tx: unknown) => Promise<void>): Promise<void> {
        return fn({
          tokens: {
            async touchLastUsed(batch: readonly LastUsed[]): Promise<void> {
              r2.record('tok_a', T + 99, '203.0.113.1');
              await Promise.resolve();
              seen = batch.map((u) => ({ ...u }));
            },
          },
        });
      },
    } as unknown as Store;
    const r2 = new LastUsedRecorder(store, () => undefined);
    r2.record('tok_a', T, '192.0.2.1');
    await r2.flush();
    assert.deepEqual(seen, [{ id: 'tok_a', at: T, ip: '192.0.2.1', uses: 1 }]);
    assert.equal(r2.size, 1);
  });

  it('stop() flushes what is pending', async () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    r.record('tok_a', T, '192.0.2.1');
    await r.stop();
    assert.equal(f.writes.length, 1);
    assert.deepEqual(byId(f.writes[0]), { tok_a: { at: T, ip: '192.0.2.1' } });
    assert.equal(r.size, 0);
  });

  it('stop() after start() clears the timer and flushes', async () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    r.start(3_600_000);
    r.record('tok_a', T, '192.0.2.1');
    await r.stop();
    assert.equal(f.writes.length, 1);
    assert.equal(r.size, 0);
  });

  it('stop() waits for a flush already in flight', async () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    const hold = f.holdNext();
    r.record('tok_a', T, '192.0.2.1');
    const flushing = r.flush();
    let stopped = false;
    const stopping = r.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    assert.equal(stopped, false);
    hold.resolve();
    await Promise.all([flushing, stopping]);
    assert.equal(stopped, true);
    assert.equal(f.writes.length, 1);
  });

  it('flushes on the scheduler start() is given; stop() leaves it no timer', async () => {
    const f = fakeStore();
    const { r } = recorder(f.store);
    const pending = new Set<() => void>();
    const timers: JobTimers = {
      setTimeout: (fn) => {
        pending.add(fn);
        return fn;
      },
      clearTimeout: (handle) => void pending.delete(handle as () => void),
    };
    const jobs = new Jobs({ onError: (_, err) => assert.fail(err as Error), timers });
    r.start(3_600_000, jobs);
    assert.deepEqual(jobs.names, ['last-used flush']);
    r.record('tok_a', T, '192.0.2.1');
    const tick = [...pending][0];
    pending.clear();
    tick?.();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(f.writes.length, 1);
    await r.stop();
    assert.equal(pending.size, 0);
    assert.deepEqual(jobs.names, []);
    await jobs.stop();
  });
});
