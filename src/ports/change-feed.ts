import type { ChangeKind } from '../domain/change.js';

export type { ChangeKind };

/**
 * How a change (a revoked token, a disabled user, new settings, an ended session) reaches every
 * process sharing the database, so that each drops what it cached about it. Two implementations:
 * the database poll (services/change-feed.ts, `ChangeFeed`: every process reads the `changes` table
 * at intervals) and Redis pub/sub over that poll (cluster/redis-changes.ts, `RedisChangeFeed`: the
 * other nodes hear at once, the poll stays as the safety net for messages lost while Redis was
 * away). Both run the conformance suite in test/conformance/change-feed.test.ts.
 *
 * The writer of a change records it in the database in the change's own transaction
 * (store/change-repo.ts) and then calls `publish`: the row is what the poll reads, `publish` is
 * what tells this process at once (and, with Redis, the others).
 */

/** One changed thing, as subscribers hear it. */
export interface ChangeNotice {
  kind: ChangeKind;
  ref: string;
}

export type ChangeListener = (change: ChangeNotice) => void;

export interface ChangePropagation {
  /**
   * Tells this process's subscribers at once, and the other processes by the implementation's
   * means (their next poll of the recorded row; Redis at once). Never throws: a failed send is
   * reported by the implementation, and the database poll still delivers it.
   */
  publish(kind: ChangeKind, refs: readonly string[]): void;
  /** Hears every change, local or from another process; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;
  /** Starts hearing the other processes' changes. */
  start(): Promise<void>;
  /** Stops hearing them and waits for a delivery in progress (its listeners may still use the database). Idempotent. */
  stop(): Promise<void>;
}
