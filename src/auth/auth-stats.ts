import type { StatsRepo } from '../store/stats-repo.js';
import { Jobs, type Job, type Scheduler } from '../services/jobs.js';

const MINUTE = 60_000;
/** Dashboard history kept in the database. */
const KEEP_MS = 31 * 86_400_000;

/**
 * Counts authentication outcomes per minute in memory (one map increment per request) and adds
 * them to the database every flush interval (10 s on a node), so the dashboard charts every node.
 */
export class AuthStatsRecorder {
  private counts = new Map<string, number>();
  private job: Job | undefined;

  constructor(
    private readonly repo: StatsRepo,
    private readonly nodeId: string,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  record(outcome: string, at: number): void {
    const key = `${at - (at % MINUTE)}|${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Flushes every `intervalMs` on `jobs` (the node's scheduler; by default one of its own). */
  start(intervalMs = MINUTE, jobs: Scheduler = new Jobs({ onError: (_, err) => this.onError(err) })): void {
    this.job = jobs.every('dashboard statistics flush', intervalMs, () => this.flush());
  }

  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = undefined;
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.counts.size === 0) return;
    const batch = this.counts;
    this.counts = new Map();
    const rows = [...batch].map(([key, count]) => {
      const bar = key.indexOf('|');
      return { minute: Number(key.slice(0, bar)), outcome: key.slice(bar + 1), count };
    });
    try {
      await this.repo.add(this.nodeId, rows);
      await this.repo.prune(this.now() - KEEP_MS);
    } catch (err) {
      for (const [key, n] of batch) this.counts.set(key, (this.counts.get(key) ?? 0) + n);
      this.onError(err);
    }
  }
}
