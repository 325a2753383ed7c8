import { Metrics } from '../../metrics/registry.js';

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
