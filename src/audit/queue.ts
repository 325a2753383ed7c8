import type { AuditEvent } from '../domain/audit.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { isDatabaseUnavailable } from '../store/db-errors.js';
import type { Store } from '../store/store.js';

export interface AuditQueueOptions {
  /** Most events waiting; beyond it new events are dropped and counted. */
  capacity: number;
  /** Flush at least this often, in ms (250 by default). */
  flushIntervalMs: number;
  /** Events per insert transaction. */
  batchSize?: number;
}

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
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;
  private droppedSinceLog = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;
  private readonly batchSize: number;

  constructor(
    private readonly store: Store,
    private readonly opts: AuditQueueOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {
    this.batchSize = opts.batchSize ?? 500;
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

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes everything still queued. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
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

  private async writeOneByOne(batch: AuditEvent[], cause: unknown): Promise<void> {
    let rejected = 0;
    for (const e of batch) {
      try {
        await this.store.transaction((tx) => tx.audit.append([e]));
        this.metrics.auditWritten.inc();
      } catch {
        rejected++;
      }
    }
    if (rejected > 0) {
      this.metrics.auditDropped.inc(rejected);
      this.log.error(`the database refused ${rejected} audit event(s); they were dropped`, cause);
    }
  }

  private async drain(): Promise<void> {
    while (this.events.length > 0) {
      const batch = this.events.splice(0, this.batchSize);
      try {
        await this.store.transaction((tx) => tx.audit.append(batch));
        this.metrics.auditWritten.inc(batch.length);
      } catch (err) {
        if (!isDatabaseUnavailable(err)) {
          // The database refused this batch itself: write its events one by one and set aside the bad ones.
          await this.writeOneByOne(batch, err);
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
