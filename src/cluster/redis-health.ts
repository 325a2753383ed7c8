/** How long to wait before trying Redis again after it failed. */
export const RETRY_AFTER_FAILURE_MS = 5_000;

/**
 * Whether Redis is answering, for stores that keep their state in Redis and fall back to this node's
 * memory when it does not: after a failure the fallback answers for a few seconds, then Redis is
 * tried again. `onStateChange` hears once when Redis fails and once when it is back.
 */
export class RedisHealth {
  private healthy = true;
  private retryAt = 0;

  constructor(
    private readonly onStateChange: ((healthy: boolean, err?: unknown) => void) | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  get isHealthy(): boolean {
    return this.healthy;
  }

  /** Redis is known to be away (e.g. at start): fall back now and report the return when it comes. */
  markDown(err?: unknown): void {
    if (this.healthy) {
      this.healthy = false;
      this.onStateChange?.(false, err);
    }
    this.retryAt = 0;
  }

  /** `remote()` unless Redis failed within the retry interval; `local()` when it fails or is away. */
  async run<T>(remote: () => Promise<T>, local: () => T): Promise<T> {
    if (!this.healthy && this.clock() < this.retryAt) return local();
    try {
      const result = await remote();
      if (!this.healthy) {
        this.healthy = true;
        this.onStateChange?.(true);
      }
      return result;
    } catch (err) {
      if (this.healthy) {
        this.healthy = false;
        this.onStateChange?.(false, err);
      }
      this.retryAt = this.clock() + RETRY_AFTER_FAILURE_MS;
      return local();
    }
  }
}
