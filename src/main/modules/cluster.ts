import type { AppContext } from '../../app.js';
import { HEARTBEAT_MS } from '../../cluster/heartbeat.js';
import { connectRedis, type RedisRuntime } from '../../cluster/redis.js';
import { MemoryRateLimitStore, type RateLimitStore } from '../../domain/auth/rate-limit.js';
import type { NamedLogger } from '../../log/log-manager.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Scheduler } from '../../services/jobs.js';
import type { NodeRepo } from '../../store/node-repo.js';
import { VERSION } from '../../version.js';

/** How often the memory rate limiter forgets keys that are back to a full burst. */
const RATE_SWEEP_MS = 60_000;

export interface RedisDeps {
  url: string | null;
  nodeId: string;
  /** The node's change feed (database poll), which Redis relays between the nodes. */
  ctx: Pick<AppContext, 'feed'>;
  metrics: Metrics;
  log: NamedLogger;
  jobs: Scheduler;
  now: () => number;
}

export interface RedisModule {
  /** Null without `redis:` in the config. */
  redis: RedisRuntime | null;
  /** Redis's when there is one (with the node's own limits as fallback), else the node's memory. */
  rateLimits: RateLimitStore & { sweep(now: number): number };
  stop(): Promise<void>;
}

/** Redis (when configured) and the rate-limit store, with its periodic sweep. */
export async function startRedis(deps: RedisDeps): Promise<RedisModule> {
  const redis = deps.url
    ? await connectRedis(deps.url, deps.nodeId, deps.ctx.feed, deps.metrics, deps.log)
    : null;
  const rateLimits = redis?.rateLimits ?? new MemoryRateLimitStore();
  const sweep = deps.jobs.every('rate-limit sweep', RATE_SWEEP_MS, () => void rateLimits.sweep(deps.now()));
  return {
    redis,
    rateLimits,
    stop: async () => {
      sweep.cancel();
      await sweep.idle();
      await redis?.close();
    },
  };
}

export interface HeartbeatDeps {
  nodeId: string;
  nodes: Pick<NodeRepo, 'heartbeat' | 'remove'>;
  /** Whether this node's Redis answers (false without Redis). */
  redisHealthy: () => boolean;
  log: Pick<NamedLogger, 'warn'>;
  jobs: Scheduler;
  now: () => number;
}

/**
 * The node's row in the database (`cluster status`): written now and every HEARTBEAT_MS, removed
 * when the module stops.
 */
export async function startHeartbeat(deps: HeartbeatDeps): Promise<{ stop(): Promise<void> }> {
  const startedAt = deps.now();
  const beat = (): Promise<void> =>
    deps.nodes
      .heartbeat({
        id: deps.nodeId,
        version: VERSION,
        startedAt,
        lastHeartbeat: deps.now(),
        pid: process.pid,
        redis: deps.redisHealthy(),
      })
      .catch((err: unknown) => deps.log.warn('node heartbeat failed', undefined, err));
  await beat();
  const job = deps.jobs.every('node heartbeat', HEARTBEAT_MS, beat);
  return {
    stop: async () => {
      // No beat may write the row again after it is removed.
      job.cancel();
      await job.idle();
      await deps.nodes.remove(deps.nodeId).catch(() => undefined);
    },
  };
}
