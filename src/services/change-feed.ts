import type { ChangeKind, ChangeListener, ChangeNotice, ChangePropagation } from '../ports/change-feed.js';
import type { Store } from '../store/store.js';
import { Jobs, type Job, type Scheduler } from './jobs.js';

export type { ChangeListener };

/** How many changes one poll reads; a backlog larger than this is drained over several polls. */
const POLL_BATCH = 1000;
/** Changes older than this are pruned: any live process has read them long before. */
const RETENTION_MS = 3_600_000;
/** The poll interval when neither the constructor nor `start` names one (the config's default). */
const DEFAULT_POLL_MS = 1000;

/** Sends this process's changes to the others at once (Redis pub/sub: cluster/redis-changes.ts). */
export type ChangeRelay = (kind: ChangeKind, refs: readonly string[]) => void;

export interface ChangeFeedOptions {
  /** Poll interval of `start()` without arguments. */
  pollMs?: number;
  /** The scheduler `start()` polls on by default (by default one of the feed's own). */
  jobs?: Scheduler;
}

/**
 * Change propagation by database poll (ports/change-feed.ts). Follows the `changes` table so that
 * every process sharing the database (server nodes, and the CLI writing while a server runs) drops
 * stale cache entries. One indexed read per interval, never per request. Local changes are also
 * published immediately, without waiting for the poll; a relay (Redis) may send them to the other
 * nodes at once too, and hand theirs back with `receive`.
 */
export class ChangeFeed implements ChangePropagation {
  private lastSeq = 0;
  private job: Job | undefined;
  private readonly listeners = new Set<ChangeListener>();
  private readonly relays = new Set<ChangeRelay>();
  /** The poll in progress, so that stop() can wait for it; null between polls. */
  private polling: Promise<number> | null = null;
  private failures = 0;

  constructor(
    private readonly store: Store,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly opts: ChangeFeedOptions = {},
  ) {}

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells local listeners at once, and relays (Redis pub/sub) for the other nodes. The database row, written in the change's transaction, tells the rest at the next poll. */
  publish(kind: ChangeKind, refs: readonly string[]): void {
    for (const ref of refs) this.emit({ kind, ref });
    for (const relay of this.relays) relay(kind, refs);
  }

  /** Registers a relay of local changes to other nodes; returns the function that removes it. */
  onPublish(relay: ChangeRelay): () => void {
    this.relays.add(relay);
    return () => this.relays.delete(relay);
  }

  /** A change another node announced: tell local listeners, without relaying it again. */
  receive(kind: ChangeKind, refs: readonly string[]): void {
    for (const ref of refs) this.emit({ kind, ref });
  }

  /**
   * Polls every `intervalMs` on `jobs` (the node's scheduler), by default those of the constructor.
   * Polling already: a no-op, so a relay over this feed may start it again.
   */
  async start(
    intervalMs = this.opts.pollMs ?? DEFAULT_POLL_MS,
    jobs: Scheduler = this.opts.jobs ?? new Jobs({ onError: (_, err) => this.onError(err) }),
  ): Promise<void> {
    if (this.job) return;
    this.lastSeq = await this.store.changes.latestSeq();
    this.job = jobs.every('change feed poll', intervalMs, async () => {
      await this.poll();
    });
  }

  /**
   * Stops polling and waits for a poll in progress: its listeners may start work on the database,
   * which must be waited for (SettingsService.close) before the database closes. Idempotent.
   */
  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = undefined;
    await this.polling;
  }

  /** The same as `stop()` (the name the app context's close uses). */
  close(): Promise<void> {
    return this.stop();
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

  private emit(change: ChangeNotice): void {
    for (const l of this.listeners) l(change);
  }
}
