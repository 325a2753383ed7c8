import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** prom-client's default gauges with a counter's `_total` suffix (prom-client 15). */
const GAUGES_NAMED_TOTAL = [
  'tokengate_nodejs_active_handles_total',
  'tokengate_nodejs_active_requests_total',
  'tokengate_nodejs_active_resources_total',
];

/**
 * The process's Prometheus metrics, served at /_tokengate/metrics (admin group). One registry per
 * runtime, so tests and embedded instances do not share counters.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly auditWritten: Counter;
  readonly auditDropped: Counter;
  readonly auditFlushFailures: Counter;
  readonly auditQueueSize: Gauge;
  readonly authOutcomes: Counter<'outcome'>;
  readonly rateLimitFallback: Counter;
  readonly redisUp: Gauge;

  constructor(nodeId: string, defaults = true) {
    this.registry.setDefaultLabels({ node: nodeId });
    if (defaults) {
      collectDefaultMetrics({ register: this.registry, prefix: 'tokengate_' });
      // prom-client names these gauges `_total`, which Prometheus keeps for counters: `promtool
      // check metrics` refuses them. The per-type gauges without the suffix stay; sum() them.
      for (const name of GAUGES_NAMED_TOTAL) this.registry.removeSingleMetric(name);
    }
    this.auditWritten = new Counter({
      name: 'tokengate_audit_events_written_total',
      help: 'Selectable audit events written to the database.',
      registers: [this.registry],
    });
    this.auditDropped = new Counter({
      name: 'tokengate_audit_events_dropped_total',
      help: 'Selectable audit events dropped because the audit queue was full.',
      registers: [this.registry],
    });
    this.auditFlushFailures = new Counter({
      name: 'tokengate_audit_flush_failures_total',
      help: 'Audit queue flushes that failed (retried on the next flush).',
      registers: [this.registry],
    });
    this.auditQueueSize = new Gauge({
      name: 'tokengate_audit_queue_size',
      help: 'Audit events waiting to be written.',
      registers: [this.registry],
    });
    this.authOutcomes = new Counter({
      name: 'tokengate_auth_outcomes_total',
      help: 'Authentication outcomes: authenticated, anonymous, passed-on, denied, rate-limited.',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.rateLimitFallback = new Counter({
      name: 'tokengate_ratelimit_fallback_total',
      help: 'Rate-limit decisions taken per node because Redis was unreachable.',
      registers: [this.registry],
    });
    this.redisUp = new Gauge({
      name: 'tokengate_redis_up',
      help: '1 while Redis answers rate-limit decisions, 0 while this node falls back to its own limits.',
      registers: [this.registry],
    });
  }
}
