import type { PurgeResult } from '../domain/audit/audit.js';
import type { Logger } from '../log/logger.js';
import type { SettingsService } from '../services/settings-service.js';
import { Jobs, type Job, type Scheduler } from '../services/jobs.js';
import type { AuditWriter } from './writer.js';

const DAY_MS = 86_400_000;
/**
 * Records deleted per transaction. A deletion changes a page of every index; the oldest records of
 * one user, token or IP share those pages, and a page is written once per commit, so 5,000 per
 * transaction write far less than 1,000 (about 2x the purge rate on SQLite, bench/audit.ts). The
 * repository deletes 1,000 per statement and lets other work run between statements.
 */
export const PURGE_BATCH = 5_000;
/** At most this many batches per run; the next run continues. */
const MAX_BATCHES_PER_RUN = 1_000;
/** Pause between batches, so other writers get the database in between. */
const PAUSE_MS = 5;
/** At most one warning this often while the floor keeps the log above audit.maxRows. */
const HELD_WARN_EVERY_MS = 3_600_000;

export interface RetentionOptions {
  /** `audit.retentionFloorDays` from the config file: younger records are never purged. */
  floorDays: number;
  /** Written into each purge record. */
  nodeId: string;
  /** Told after each pass how many records beyond audit.maxRows the floor kept (a gauge). */
  onHeld?: (records: number) => void;
  /**
   * Where the floor-held WARN goes, default the constructor's log. The node passes a logger that
   * `log.levels` cannot silence (LogManager.unfiltered): an admin must not hide that the floor holds.
   */
  floorLog?: Logger;
}

/**
 * Applies `audit.retentionDays` and `audit.maxRows`: deletes the oldest records in small batches,
 * each in its own transaction with a checkpoint and a purge record, so the chain still verifies
 * afterwards and says what went. Never deletes a record younger than the floor, which only the
 * config file sets: at the cap the log grows past maxRows instead, with a throttled WARN and a gauge.
 */
export class AuditRetention {
  private job: Job | undefined;
  private running: Promise<number> | null = null;
  private stopped = false;
  private lastHeldWarning = -Infinity;

  constructor(
    private readonly writer: Pick<AuditWriter, 'purgeBatch'>,
    private readonly settings: Pick<SettingsService, 'current'>,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly options: RetentionOptions,
  ) {}

  /**
   * Purges every `intervalMs` on `jobs` (the node's scheduler; by default one of its own). When the
   * scheduler stops, a pass under way ends after its current batch, as with stop().
   */
  start(
    intervalMs: number,
    jobs: Scheduler = new Jobs({
      onError: (_, err) => this.log.error('the audit retention purge failed; it runs again later', err),
    }),
  ): void {
    this.job = jobs.every('audit retention', intervalMs, async () => {
      await this.run();
    });
  }

  /** Stops the timer, and a pass under way after its current batch. */
  async stop(): Promise<void> {
    this.job?.cancel();
    this.stopped = true;
    await this.running;
  }

  /** One purge pass; returns how many records it deleted. Concurrent calls share one pass. */
  run(): Promise<number> {
    this.running ??= this.purge().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async purge(): Promise<number> {
    const s = this.settings.current;
    const now = this.now();
    const floorDays = this.options.floorDays;
    let total = 0;
    let last: PurgeResult = { purged: 0, heldByFloor: 0 };
    try {
      for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
        last = await this.writer.purgeBatch({
          before: now - s['audit.retentionDays'] * DAY_MS,
          floor: now - floorDays * DAY_MS,
          maxRows: s['audit.maxRows'],
          limit: PURGE_BATCH,
          now,
          nodeId: this.options.nodeId,
          retentionDays: s['audit.retentionDays'],
          floorDays,
        });
        total += last.purged;
        if (last.purged < PURGE_BATCH || this.stopped || this.job?.stopped === true) break;
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    } catch (err) {
      this.log.error('the audit retention purge failed; it runs again later', err);
    }
    if (total > 0)
      this.log.info(
        `audit retention purged ${total} record(s); each batch left an audit.purged record and a checkpoint`,
      );
    this.options.onHeld?.(last.heldByFloor);
    if (last.heldByFloor > 0 && now - this.lastHeldWarning >= HELD_WARN_EVERY_MS) {
      this.lastHeldWarning = now;
      (this.options.floorLog ?? this.log).warn(
        `the audit log holds ${last.heldByFloor} record(s) more than audit.maxRows=${s['audit.maxRows']}: they are younger than audit.retentionFloorDays=${floorDays} (config file) and are kept; raise audit.maxRows or give the database room`,
      );
    }
    return total;
  }
}
