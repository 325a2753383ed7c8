import type { LastUsed } from '../store/token-repo.js';
import type { Store } from '../store/store.js';
import { Jobs, type Job, type Scheduler } from '../services/jobs.js';

/** Most tokens remembered between flushes; past it, new ones wait for the next flush's room. */
const MAX_PENDING = 100_000;

/**
 * Remembers when and from where each token was last used, and writes that in one batch per interval,
 * never on the request path. A failed flush keeps the entries for the next one.
 */
export class LastUsedRecorder {
  private pending = new Map<string, LastUsed>();
  private job: Job | undefined;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly onError: (err: unknown) => void,
  ) {}

  record(id: string, at: number, ip: string): void {
    const prev = this.pending.get(id);
    if (prev) {
      prev.uses = (prev.uses ?? 1) + 1;
      // Requests can finish out of order (an async rate-limit store): keep the newest use.
      if (at >= prev.at) {
        prev.at = at;
        prev.ip = ip;
      }
    } else if (this.pending.size < MAX_PENDING) {
      this.pending.set(id, { id, at, ip, uses: 1 });
    }
  }

  /** Flushes every `intervalMs` on `jobs` (the node's scheduler; by default one of its own). */
  start(intervalMs: number, jobs: Scheduler = new Jobs({ onError: (_, err) => this.onError(err) })): void {
    this.job = jobs.every('last-used flush', intervalMs, () => this.flush());
  }

  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = undefined;
    await this.flush();
  }

  get size(): number {
    return this.pending.size;
  }

  /** Writes everything pending in one transaction. Concurrent calls share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.transaction((tx) => tx.tokens.touchLastUsed([...batch.values()]));
    } catch (err) {
      // Keep what failed; where newer uses arrived meanwhile, keep their time and add the counts.
      for (const [id, u] of batch) {
        const newer = this.pending.get(id);
        if (newer) newer.uses = (newer.uses ?? 1) + (u.uses ?? 1);
        else if (this.pending.size < MAX_PENDING) this.pending.set(id, u);
      }
      this.onError(err);
    }
  }
}
