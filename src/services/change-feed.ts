import type { Change, ChangeKind } from '../store/change-repo.js';
import type { Store } from '../store/store.js';
import { Jobs, type Job, type Scheduler } from './jobs.js';

export type ChangeListener = (change: Pick<Change, 'kind' | 'ref'>) => void;

/** How many changes one poll reads; a backlog larger than this is drained over several polls. */
const POLL_BATCH = 1000;
/** Changes older than this are pruned: any live process has read them long before. */
const RETENTION_MS = 3_600_000;

/**
 * Follows the `changes` table so that every process sharing the database (server nodes, and the CLI
 * writing while a server runs) drops stale cache entries. One indexed read per interval, never per
 * request. Local changes are also published immediately, without waiting for the poll.
 */
export class ChangeFeed {
  private lastSeq = 0;
  private job: Job | undefined;
  private readonly listeners = new Set<ChangeListener>();
  /** The poll in progress, so that stop() can wait for it; null between polls. */
  private polling: Promise<number> | null = null;
  private failures = 0;

  constructor(
    private readonly store: Store,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly forwarders = new Set<(kind: ChangeKind, refs: readonly string[]) => void>();

  /** Tells local listeners at once, and forwarders (Redis pub/sub) for the other nodes. The database row, written in the change's transaction, tells the rest at the next poll. */
  publish(kind: ChangeKind, refs: readonly string[]): void {
    for (const ref of refs) this.emit({ kind, ref });
    for (const f of this.forwarders) f(kind, refs);
  }

  /** Registers a forwarder of local changes to other nodes. */
  onPublish(forwarder: (kind: ChangeKind, refs: readonly string[]) => void): void {
    this.forwarders.add(forwarder);
  }

  /** A change another node announced: tell local listeners, without forwarding it again. */
  receive(kind: ChangeKind, refs: readonly string[]): void {
    for (const ref of refs) this.emit({ kind, ref });
  }

  /** Polls every `intervalMs` on `jobs` (the node's scheduler; by default one of its own). */
  async start(
    intervalMs: number,
    jobs: Scheduler = new Jobs({ onError: (_, err) => this.onError(err) }),
  ): Promise<void> {
    this.lastSeq = await this.store.changes.latestSeq();
    this.job = jobs.every('change feed poll', intervalMs, async () => {
      await this.poll();
    });
  }

  stop(): void {
    this.job?.cancel();
    this.job = undefined;
  }

  /**
   * Stops polling and waits for a poll in progress: its listeners may start work on the database,
   * which must be waited for (SettingsService.close) before the database closes.
   */
  async close(): Promise<void> {
    this.stop();
    await this.polling;
  }

  /** Reads new changes and tells listeners. Exposed for tests and for shutdown. */
  async poll(): Promise<number> {
    if (this.polling) return 0;
    this.polling = this.drain();
    try {
      return await this.polling;
    } finally {
      this.polling = null;
    }
  }

  private async drain(): Promise<number> {
    let seen = 0;
    try {
      for (;;) {
        const batch = await this.store.changes.since(this.lastSeq, POLL_BATCH);
        for (const c of batch) {
          this.lastSeq = c.seq;
          this.emit(c);
        }
        seen += batch.length;
        if (batch.length < POLL_BATCH) break;
      }
      this.failures = 0;
    } catch (err) {
      // The caller logs; the next poll retries. Cache entries still expire by their lifetime.
      this.failures++;
      if (this.failures === 1) this.onError(err);
    }
    return seen;
  }

  async prune(now: number): Promise<number> {
    return this.store.changes.prune(now - RETENTION_MS);
  }

  private emit(change: Pick<Change, 'kind' | 'ref'>): void {
    for (const l of this.listeners) l(change);
  }
}
