/**
 * The one scheduler for a process's periodic work (flushes, sweeps, heartbeats, purges, polls).
 *
 * - Runs of one job never overlap: a tick that comes while the previous run is still going is
 *   skipped and counted (`Job.skipped`).
 * - A run's error, thrown or rejected, is caught and handed to `onError(name, err)`; the job keeps
 *   running at its next tick. Nothing here ends as an unhandled rejection.
 * - Timers are unref'd: a scheduled job never keeps the process alive.
 * - `stop()` clears every timer, marks every job stopped (a long run reads `Job.stopped` to end
 *   early), waits for the runs in flight, then runs the final actions (`onStop`, e.g. a last flush)
 *   in reverse registration order.
 */

/** What a job runs at each tick. */
export type JobRun = () => Promise<void> | void;

export interface JobOptions {
  /** Delay of the first run, in ms; default the interval. */
  firstRunMs?: number;
  /** Run once at the scheduler's stop, after the runs in flight ended (not after `Job.cancel()`). */
  onStop?: () => Promise<void> | void;
}

export interface Job {
  readonly name: string;
  /** Runs started. */
  readonly runs: number;
  /** Ticks skipped because the previous run was still going. */
  readonly skipped: number;
  /** True once the job was cancelled or its scheduler began to stop: no further run starts. */
  readonly stopped: boolean;
  /** Clears the job's timer and drops its final action; a run in flight goes on (see `idle`). */
  cancel(): void;
  /** Resolves when no run of this job is in flight. */
  idle(): Promise<void>;
}

/** Registers periodic work: `Jobs`, or anything with the same `every`. */
export interface Scheduler {
  every(name: string, intervalMs: number, run: JobRun, opts?: JobOptions): Job;
}

/** The timer functions the scheduler uses; tests give a fake. */
export interface JobTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The global timers, looked up at each call (so that test clocks that replace them apply). */
const realTimers: JobTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface JobsOptions {
  /** Told of every failed run and failed final action, with the job's name. */
  onError: (name: string, err: unknown) => void;
  timers?: JobTimers;
}

class ScheduledJob implements Job {
  runs = 0;
  skipped = 0;
  stopped = false;
  private timer: unknown = undefined;
  private running: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly run: JobRun,
    readonly onStop: JobOptions['onStop'],
    private readonly owner: Jobs,
    private readonly timers: JobTimers,
    private readonly onError: (name: string, err: unknown) => void,
  ) {}

  arm(delayMs: number): void {
    const handle = this.timers.setTimeout(() => this.tick(), delayMs);
    (handle as { unref?: () => void } | null)?.unref?.();
    this.timer = handle;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    // The next tick is armed now, as setInterval would: a long run skips ticks rather than shifting them.
    this.arm(this.intervalMs);
    if (this.running) {
      this.skipped++;
      return;
    }
    this.runs++;
    this.running = this.runSafely().finally(() => {
      this.running = null;
    });
  }

  private async runSafely(): Promise<void> {
    try {
      await this.run();
    } catch (err) {
      this.onError(this.name, err);
    }
  }

  /** Clears the timer; the run in flight, if any, goes on. */
  halt(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  cancel(): void {
    this.halt();
    this.owner.forget(this);
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}

export class Jobs implements Scheduler {
  private readonly jobs: ScheduledJob[] = [];
  private readonly timers: JobTimers;
  private stopping: Promise<void> | null = null;

  constructor(private readonly opts: JobsOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  /** Registers `run` every `intervalMs` (first after `opts.firstRunMs`, default the interval). */
  every(name: string, intervalMs: number, run: JobRun, opts: JobOptions = {}): Job {
    if (this.stopping) throw new Error(`the job scheduler is stopped; cannot add "${name}"`);
    if (!(intervalMs > 0)) throw new RangeError(`job "${name}": the interval must be above 0 ms`);
    const job = new ScheduledJob(name, intervalMs, run, opts.onStop, this, this.timers, this.opts.onError);
    this.jobs.push(job);
    job.arm(opts.firstRunMs ?? intervalMs);
    return job;
  }

  /** The jobs registered and not cancelled, in registration order. */
  get names(): string[] {
    return this.jobs.map((j) => j.name);
  }

  /** @internal A cancelled job leaves the scheduler: no final action at stop. */
  forget(job: ScheduledJob): void {
    const i = this.jobs.indexOf(job);
    if (i >= 0) this.jobs.splice(i, 1);
  }

  /**
   * Clears every timer, waits for the runs in flight, then runs the final actions in reverse
   * registration order. A failed final action is reported and the others still run. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    const jobs = [...this.jobs];
    for (const j of jobs) j.halt();
    await Promise.all(jobs.map((j) => j.idle()));
    for (const j of jobs.reverse()) {
      if (!j.onStop) continue;
      try {
        await j.onStop();
      } catch (err) {
        this.opts.onError(j.name, err);
      }
    }
  }
}
