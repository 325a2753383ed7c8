import type { Redis, RedisOptions } from 'ioredis';
import type { NamedLogger } from '../log/log-manager.js';
import type { Metrics } from '../metrics/registry.js';
import { RedisBlockBus, RedisFailureCounter } from './redis-brute-force.js';
import { RedisChangeFeed, type PolledFeed } from './redis-changes.js';
import { RedisRateLimitStore } from './redis-rate-limit.js';

export interface RedisRuntime {
  rateLimits: RedisRateLimitStore;
  /** Brute-force failure counts, shared by every node. */
  failures: RedisFailureCounter;
  /** Blocks announced to (and by) the other nodes. */
  blocks: RedisBlockBus;
  /** Changes announced to (and by) the other nodes, over the node's database poll. */
  changes: RedisChangeFeed;
  close(): Promise<void>;
}

/** A rate-limit decision that Redis has not answered by then falls back to the node's own limit. */
const COMMAND_TIMEOUT_MS = 250;

/** The client's options: a command timeout for the connection that answers requests. */
function clientOptions(commandTimeout?: number): RedisOptions {
  return {
    // Fail fast while Redis is away, so requests fall back instead of waiting in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    // A Redis that accepts connections but does not answer must not stall requests either.
    ...(commandTimeout !== undefined ? { commandTimeout } : {}),
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: true,
    // Rate-limit scripts of concurrent requests go out in one write per event-loop tick.
    enableAutoPipelining: true,
  };
}

/**
 * Cluster mode: one connection for rate-limit scripts and publishing changes, one for subscribing.
 * A Redis that is down at start is not fatal: the node starts on per-node limits and polling, and
 * picks Redis up when it comes.
 */
export async function connectRedis(
  url: string,
  nodeId: string,
  /** The node's database poll: its changes go out through Redis, the other nodes' come in to it. */
  feed: PolledFeed,
  metrics: Pick<Metrics, 'redisUp' | 'rateLimitFallback'>,
  log: Pick<NamedLogger, 'warn' | 'debug'>,
): Promise<RedisRuntime> {
  // Loaded here, when `redis:` is configured: a node without Redis never loads its client.
  const { Redis: Client } = await import('ioredis');
  const main: Redis = new Client(url, clientOptions(COMMAND_TIMEOUT_MS));
  const sub: Redis = new Client(url, clientOptions());
  for (const c of [main, sub]) c.on('error', () => undefined); // state changes are logged below
  const rateLimits = new RedisRateLimitStore(main, {
    onStateChange: (healthy, err) => {
      metrics.redisUp.set(healthy ? 1 : 0);
      if (healthy) log.warn('Redis answers again: rate limits are cluster-wide again');
      else
        log.warn(
          'Redis is unreachable: rate limits fall back to per-node limits until it returns',
          undefined,
          err,
        );
    },
    onFallback: () => metrics.rateLimitFallback.inc(),
  });
  const failures = new RedisFailureCounter(main, {
    onStateChange: (healthy, err) => {
      // Worded apart from the rate limiter's lines, which operators (and tests) count per outage.
      if (healthy) log.warn('Brute-force counts are cluster-wide again: Redis answers');
      else
        log.warn('Brute-force counts fall back to per-node counts until Redis answers again', undefined, err);
    },
  });
  metrics.redisUp.set(1);
  await Promise.all([main.connect(), sub.connect()]).catch((err: unknown) => {
    rateLimits.markDown(err);
    log.warn(
      'Redis is unreachable at start: per-node rate limits and database polling until it returns',
      undefined,
      err,
    );
  });
  const changes = new RedisChangeFeed(feed, main, sub, nodeId, (err) =>
    log.debug(`publishing a change to Redis failed: ${String(err)}`),
  );
  // The Redis side only: the database poll is a start-up module of its own (main/modules/lifecycle.ts).
  await changes
    .connect()
    .catch((err: unknown) =>
      log.warn('subscribing to Redis failed; changes arrive by database polling', undefined, err),
    );
  const blocks = new RedisBlockBus(main, sub, nodeId, (err) =>
    log.debug(`publishing a block to Redis failed: ${String(err)}`),
  );
  return {
    rateLimits,
    failures,
    blocks,
    changes,
    close: async () => {
      main.disconnect();
      sub.disconnect();
    },
  };
}
