import type { Config } from '../../config/config.js';
import { startMetricsListener, type MetricsListener } from '../../http/metrics-listener.js';
import { Readiness, upstreamCheck, type ReadinessCheck } from '../../metrics/readiness.js';
import { redisCheck } from '../../metrics/redis-check.js';
import { Metrics } from '../../metrics/registry.js';
import type { Store } from '../../store/store.js';

/** The Prometheus registry of this node; nothing to stop. */
export function startMetrics(opts: {
  nodeId: string;
  /** Collect the process metrics (CPU, memory, event loop). */
  defaultMetrics: boolean;
  redis: boolean;
}): { metrics: Metrics; stop(): void } {
  const metrics = new Metrics(opts.nodeId, opts.defaultMetrics);
  // Without Redis there is nothing to be up or down: do not report a 0 that would trip alerts.
  if (!opts.redis) metrics.registry.removeSingleMetric('tokengate_redis_up');
  return { metrics, stop: () => undefined };
}

/**
 * What /readyz checks (the database; Redis in cluster mode unless health.redis is off; the upstream
 * with health.upstream), and the metrics listener with metrics.enabled. Stops the listener and
 * the readiness check's Redis connection.
 */
export async function startReadiness(deps: {
  config: Pick<Config, 'metrics' | 'health' | 'redis'>;
  store: Pick<Store, 'ping'>;
  /** The upstream requests go to (the demo one when none is configured). */
  upstream: string;
  metrics: Metrics;
}): Promise<{ metricsUrl: string | null; stop(): Promise<void> }> {
  const { config, metrics } = deps;
  const checks: ReadinessCheck[] = [{ name: 'database', check: () => deps.store.ping() }];
  const redis = config.redis !== null && config.health.redis ? await redisCheck(config.redis) : null;
  if (redis) checks.push(redis);
  if (config.health.upstream) checks.push(upstreamCheck(new URL(deps.upstream)));
  metrics.readiness = new Readiness(checks);
  let listener: MetricsListener | null = null;
  try {
    if (config.metrics.enabled)
      listener = await startMetricsListener({
        port: config.metrics.port,
        host: config.metrics.host,
        registry: metrics.registry,
        readiness: metrics.readiness,
      });
  } catch (err) {
    redis?.close();
    throw err;
  }
  return {
    metricsUrl: listener?.url ?? null,
    stop: async () => {
      await listener?.close();
      redis?.close();
    },
  };
}
