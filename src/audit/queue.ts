import type { AuditEvent } from '../domain/audit/audit.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { isDatabaseUnavailable } from '../store/db-errors.js';
import { Jobs, type Job, type Scheduler } from '../services/jobs.js';
import { WRITER_GONE, type AuditWriter } from './writer.js';

export interface AuditQueueOptions {
  /** Most events waiting; beyond it new events are dropped and counted. */
  capacity: number;
  /** Flush at least this often, in ms (250 by default). */
  flushIntervalMs: number;
  /** Events per insert transaction (5,000 by default). */
  batchSize?: number;
}

/**
 * Events per transaction unless configured. Each event adds an entry to every search index, on a
 * page shared with other events of the same user, token or IP; a page is written once per commit,
 * so larger transactions write far less (SQLite, bench/audit.ts at 200k rows: about 12k events/s
 * with 500, 19k with 5,000). The repository still inserts 500 rows per statement and lets the
 * event loop run between statements.
 */
const DEFAULT_BATCH_SIZE = 5_000;

/** Drops are logged at most this often, with the count since the last line. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * The selectable (authentication) audit events: the request path only pushes into a bounded array,
 * and a timer writes batches in transactions. Recording never blocks a request.
 *
 * When the queue is full the incoming event is dropped (the ones already queued are older and
 * equally valuable; keeping them keeps the log in order), counted in
 * `tokengate_audit_events_dropped_total`, and logged once per 10 s. A failed flush puts its batch
 * back in front and retries on the next tick. After a hard kill, at most the events of the last
 * flush interval are lost; always-on events never go through here.
 */
export class AuditQueue {
  private events: AuditEvent[] = [];
  private job: Job | undefined;
  private flushing: Promise<void> | null = null;
  private droppedSinceLog = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;
  /** Events per insert transaction. */
  readonly batchSize: number;

  constructor(
    private readonly writer: Pick<AuditWriter, 'append'>,
    private readonly opts: AuditQueueOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {
    this.batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  /** Queues an event; false when the queue is full and the event was dropped. */
  offer(e: AuditEvent): boolean {
    if (this.events.length >= this.opts.capacity) {
      this.metrics.auditDropped.inc();
      this.droppedSinceLog++;
      const now = this.now();
      if (now - this.lastDropLog >= DROP_LOG_INTERVAL_MS) {
        this.log.warn(
          `audit queue full (${this.opts.capacity} events): dropped ${this.droppedSinceLog} authentication event(s); see tokengate_audit_events_dropped_total`,
        );
        this.lastDropLog = now;
        this.droppedSinceLog = 0;
      }
      return false;
    }
    this.events.push(e);
    return true;
  }

  get size(): number {
    return this.events.length;
  }

  /** Flushes every flushIntervalMs on `jobs` (the node's scheduler; by default one of its own). */
  start(
    jobs: Scheduler = new Jobs({
      onError: (name, err) => this.log.error(`${name} failed; retrying on the next flush`, err),
    }),
  ): void {
    this.job = jobs.every('audit queue flush', this.opts.flushIntervalMs, () => this.flush());
  }

  /** Stops the timer and writes everything still queued. */
  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = undefined;
    await this.flush();
    if (this.events.length > 0) await this.flush();
  }

  /** Writes what is queued, a batch per transaction. Concurrent calls share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
      this.metrics.auditQueueSize.set(this.events.length);
    });
    return this.flushing;
  }

  /**
   * Writes a batch the database refused in halves, and halves of those, down to single events: the
   * good events are written in order with a few transactions, the ones refused alone are dropped.
   */
  private async writeInHalves(batch: AuditEvent[], cause: unknown): Promise<void> {
    let rejected = 0;
    const write = async (events: AuditEvent[]): Promise<void> => {
      if (events.length > 1) {
        const mid = Math.ceil(events.length / 2);
        for (const half of [events.slice(0, mid), events.slice(mid)]) {
          try {
            await this.writer.append(half);
            this.metrics.auditWritten.inc(half.length);
          } catch {
            await write(half);
          }
        }
      } else rejected += events.length;
    };
    await write(batch);
    if (rejected > 0) {
      this.metrics.auditDropped.inc(rejected);
      this.log.error(`the database refused ${rejected} audit event(s); they were dropped`, cause);
    }
  }

  private async drain(): Promise<void> {
    for (let first = true; this.events.length > 0; first = false) {
      // Between batches, let requests run: on a SQLite file without the writer thread (or under
      // tests), writes are synchronous, and a long drain would hold the event loop for all of them.
      if (!first) await new Promise((resolve) => setImmediate(resolve));
      const batch = this.events.splice(0, this.batchSize);
      try {
        const started = performance.now();
        await this.writer.append(batch);
        this.metrics.auditWriteDuration.observe((performance.now() - started) / 1000);
        this.metrics.auditWritten.inc(batch.length);
      } catch (err) {
        if (!isDatabaseUnavailable(err) && (err as { code?: unknown }).code !== WRITER_GONE) {
          // The database refused this batch itself: write it in parts and set aside the bad events.
          await this.writeInHalves(batch, err);
          continue;
        }
        // Back in front, as far as room allows; newer events may have arrived meanwhile.
        const room = Math.max(0, this.opts.capacity - this.events.length);
        const kept = batch.slice(0, room);
        this.events = [...kept, ...this.events];
        const lost = batch.length - kept.length;
        if (lost > 0) this.metrics.auditDropped.inc(lost);
        this.metrics.auditFlushFailures.inc();
        this.log.error(`writing ${batch.length} audit event(s) failed; retrying on the next flush`, err);
        return;
      }
    }
  }
}
