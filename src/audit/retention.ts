import type { Logger } from '../log/logger.js';
import type { SettingsService } from '../services/settings-service.js';
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

/**
 * Applies `audit.retentionDays` and `audit.maxRows`: deletes the oldest records in small batches,
 * each in its own transaction with a checkpoint, so the chain still verifies afterwards.
 */
export class AuditRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly writer: Pick<AuditWriter, 'purgeBatch'>,
    private readonly settings: Pick<SettingsService, 'current'>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.run(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer, and a pass under way after its current batch. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
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
    const before = this.now() - s['audit.retentionDays'] * DAY_MS;
    let total = 0;
    try {
      for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
        const n = await this.writer.purgeBatch(before, s['audit.maxRows'], PURGE_BATCH, this.now());
        total += n;
        if (n < PURGE_BATCH || this.stopped) break;
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    } catch (err) {
      this.log.error('the audit retention purge failed; it runs again later', err);
    }
    if (total > 0)
      this.log.info(`audit retention purged ${total} record(s); the chain continues from a checkpoint`);
    return total;
  }
}
