import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Jobs, type JobTimers } from './jobs.js';

interface FakeTimer {
  fn: () => void;
  ms: number;
  /** Set by unref(), which the scheduler calls as on a Node timer. */
  unrefd: boolean;
  unref(): void;
}

/** Timers that fire only when told to; no clock, so no timed assertion. */
class FakeTimers implements JobTimers {
  readonly pending = new Set<FakeTimer>();
  /** Every timer ever set, in order. */
  readonly set: FakeTimer[] = [];

  setTimeout(fn: () => void, ms: number): FakeTimer {
    const t: FakeTimer = {
      fn,
      ms,
      unrefd: false,
      unref() {
        t.unrefd = true;
      },
    };
    this.pending.add(t);
    this.set.push(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as FakeTimer);
  }

  /** Fires every timer pending now (not the ones they set). */
  fire(): void {
    const due = [...this.pending];
    for (const t of due) {
      this.pending.delete(t);
      t.fn();
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(): { jobs: Jobs; timers: FakeTimers; errors: [string, unknown][] } {
  const timers = new FakeTimers();
  const errors: [string, unknown][] = [];
  const jobs = new Jobs({ onError: (name, err) => errors.push([name, err]), timers });
  return { jobs, timers, errors };
}

describe('Jobs', () => {
  it('runs a job at each tick, on unref’d timers of its interval', async () => {
    const { jobs, timers } = setup();
    let runs = 0;
    const job = jobs.every('count', 1000, () => {
      runs++;
    });
    assert.equal(timers.pending.size, 1);
    assert.equal([...timers.pending][0]?.ms, 1000);
    timers.fire();
    await settle();
    timers.fire();
    await settle();
    assert.equal(runs, 2);
    assert.equal(job.runs, 2);
    assert.equal(job.skipped, 0);
    assert.ok(
      timers.set.every((t) => t.unrefd),
      'every timer is unref’d',
    );
    assert.ok(timers.set.every((t) => t.ms === 1000));
    await jobs.stop();
  });

  it('waits firstRunMs for the first run, then the interval', async () => {
    const { jobs, timers } = setup();
    jobs.every('late', 1000, () => undefined, { firstRunMs: 7 });
    assert.deepEqual(
      timers.set.map((t) => t.ms),
      [7],
    );
    timers.fire();
    assert.deepEqual(
      timers.set.map((t) => t.ms),
      [7, 1000],
    );
    await jobs.stop();
  });

  it('never overlaps runs: a tick during a run is skipped and counted', async () => {
    const { jobs, timers } = setup();
    const holds: ReturnType<typeof deferred>[] = [];
    let active = 0;
    let most = 0;
    const job = jobs.every('slow', 1000, async () => {
      active++;
      most = Math.max(most, active);
      const d = deferred();
      holds.push(d);
      await d.promise;
      active--;
    });
    timers.fire();
    await settle();
    timers.fire();
    timers.fire();
    await settle();
    assert.equal(job.runs, 1);
    assert.equal(job.skipped, 2);
    assert.equal(holds.length, 1);
    holds[0]?.resolve();
    await settle();
    timers.fire();
    await settle();
    assert.equal(job.runs, 2, 'the next tick after the run ended runs again');
    holds[1]?.resolve();
    await settle();
    assert.equal(most, 1);
    await jobs.stop();
  });

  it('reports a failed run to onError and keeps the job running', async () => {
    const { jobs, timers, errors } = setup();
    const boom = new Error('boom');
    let n = 0;
    const job = jobs.every('flaky', 1000, async () => {
      n++;
      if (n === 1) throw boom;
      await Promise.resolve();
    });
    const sync = jobs.every('throws', 1000, () => {
      throw new Error('sync');
    });
    timers.fire();
    await settle();
    assert.equal(errors.length, 2);
    const byName = new Map(errors);
    assert.equal(byName.get('flaky'), boom);
    assert.equal((byName.get('throws') as Error).message, 'sync');
    timers.fire();
    await settle();
    assert.equal(job.runs, 2);
    assert.equal(sync.runs, 2);
    assert.equal(errors.length, 3, 'only the sync job failed again');
    await jobs.stop();
  });

  it('stop() waits for the run in flight, then runs the final actions in reverse order', async () => {
    const { jobs, timers } = setup();
    const steps: string[] = [];
    const hold = deferred();
    const a = jobs.every('a', 1000, () => undefined, { onStop: () => void steps.push('stop a') });
    const b = jobs.every(
      'b',
      1000,
      async () => {
        steps.push('run b');
        await hold.promise;
        steps.push('b done');
      },
      { onStop: async () => void steps.push('stop b') },
    );
    jobs.every('c', 1000, () => undefined, { onStop: () => void steps.push('stop c') });
    timers.fire();
    await settle();
    let stopped = false;
    const stopping = jobs.stop().then(() => {
      stopped = true;
    });
    await settle();
    assert.equal(stopped, false, 'stop() waits for the running job');
    assert.equal(a.stopped, true);
    assert.equal(b.stopped, true, 'a long run can see that it should end');
    assert.equal(timers.pending.size, 0, 'no timer left while the run finishes');
    hold.resolve();
    await stopping;
    assert.deepEqual(steps, ['run b', 'b done', 'stop c', 'stop b', 'stop a']);
    await jobs.stop();
    assert.equal(steps.length, 5, 'a second stop() does nothing more');
  });

  it('stop() leaves no timer, starts no run and takes no new job', async () => {
    const { jobs, timers } = setup();
    const job = jobs.every('x', 1000, () => undefined);
    jobs.every('y', 5, () => undefined, { firstRunMs: 0 });
    timers.fire();
    await settle();
    assert.equal(timers.pending.size, 2);
    await jobs.stop();
    assert.equal(timers.pending.size, 0);
    const runs = job.runs;
    // A timer that fired anyway (cleared too late) starts nothing and arms nothing.
    for (const t of timers.set) t.fn();
    await settle();
    assert.equal(job.runs, runs);
    assert.equal(timers.pending.size, 0);
    assert.throws(() => jobs.every('late', 1000, () => undefined), /stopped/);
  });

  it('a failed final action is reported and the others still run', async () => {
    const { jobs, errors } = setup();
    const steps: string[] = [];
    jobs.every('first', 1000, () => undefined, { onStop: () => void steps.push('first') });
    jobs.every('bad', 1000, () => undefined, {
      onStop: () => {
        throw new Error('no flush');
      },
    });
    await jobs.stop();
    assert.deepEqual(steps, ['first']);
    assert.equal(errors[0]?.[0], 'bad');
  });

  it('cancel() clears one job’s timer and drops its final action; idle() waits for its run', async () => {
    const { jobs, timers } = setup();
    const steps: string[] = [];
    const hold = deferred();
    const job = jobs.every('gone', 1000, () => hold.promise, { onStop: () => void steps.push('gone') });
    jobs.every('kept', 1000, () => undefined, { onStop: () => void steps.push('kept') });
    timers.fire();
    await settle();
    job.cancel();
    assert.equal(job.stopped, true);
    assert.equal(timers.pending.size, 1, 'only the other job’s timer is left');
    assert.deepEqual(jobs.names, ['kept']);
    let idle = false;
    const waiting = job.idle().then(() => {
      idle = true;
    });
    await settle();
    assert.equal(idle, false);
    hold.resolve();
    await waiting;
    await jobs.stop();
    assert.deepEqual(steps, ['kept']);
    assert.equal(timers.pending.size, 0);
  });

  it('refuses an interval that is not above 0', () => {
    const { jobs } = setup();
    assert.throws(() => jobs.every('zero', 0, () => undefined), RangeError);
  });
});
