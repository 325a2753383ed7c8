import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from '../version.js';
import { AuthMetrics } from './auth-metrics.js';
import { LeanCounter, registerLean } from './lean.js';
import type { Readiness } from './readiness.js';
import { RequestMetrics } from './request-metrics.js';

/** prom-client's default gauges with a counter's `_total` suffix (prom-client 15). */
const GAUGES_NAMED_TOTAL = [
  'tokengate_nodejs_active_handles_total',
  'tokengate_nodejs_active_requests_total',
  'tokengate_nodejs_active_resources_total',
];

/**
 * Upper bounds of one audit batch's write, in seconds: a SQLite transaction of a few events takes
 * milliseconds, a batch of thousands on a busy PostgreSQL up to seconds.
 */
const AUDIT_WRITE_BUCKETS = [0.001, 0.01, 0.05, 0.25, 1, 5];

/** What the credential cache counts itself (CredentialCache.lookups); read at each scrape. */
export interface CacheLookups {
  readonly lookups: { readonly hits: number; readonly misses: number };
}

/**
 * The process's Prometheus metrics, served on the metrics listener (`metrics.enabled`) and at
 * /_tokengate/metrics (admin group). One registry per runtime, so tests and embedded instances do
 * not share counters. Per-request metrics are the lean kind (lean.ts): bound once, one addition each.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly auditWritten: Counter;
  readonly auditDropped: Counter;
  readonly auditFlushFailures: Counter;
  readonly auditQueueSize: Gauge;
  readonly auditWriteDuration: Histogram;
  /** By `outcome`; a series is bound the first time its outcome occurs (main/modules/auth.ts). */
  readonly authOutcomes: LeanCounter;
  readonly rateLimitFallback: Counter;
  readonly redisUp: Gauge;
  /** The authentication step: duration, and refusals by reason. */
  readonly auth: AuthMetrics;
  /** The gateway listener's answers by status class, and the upstream's latency and failures. */
  readonly requests: RequestMetrics;
  readonly bruteForceBlocks: Counter<'subject'>;
  private readonly cacheLookups: LeanCounter;
  /**
   * What /readyz checks, set by the node at start-up (node.ts). Here because the management API
   * receives this object (ApiDeps.metrics); null: the routes check the database alone.
   */
  readiness: Readiness | null = null;
  private queued: () => number | null = () => null;

  constructor(nodeId: string, defaults = true) {
    this.registry.setDefaultLabels({ node: nodeId });
    if (defaults) {
      collectDefaultMetrics({ register: this.registry, prefix: 'tokengate_' });
      // prom-client names these gauges `_total`, which Prometheus keeps for counters: `promtool
      // check metrics` refuses them. The per-type gauges without the suffix stay; sum() them.
      for (const name of GAUGES_NAMED_TOTAL) this.registry.removeSingleMetric(name);
    }
    new Gauge({
      name: 'tokengate_build_info',
      help: 'Always 1; its labels say which tokengate and which Node.js run this node.',
      labelNames: ['version', 'node_version'],
      registers: [this.registry],
    }).set({ version: VERSION, node_version: process.version }, 1);
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
    const queued = (): number | null => this.queued();
    this.auditQueueSize = new Gauge({
      name: 'tokengate_audit_queue_size',
      help: 'Audit events waiting to be written.',
      registers: [this.registry],
      // Read at the scrape: the queue grows between flushes, when nothing else would set it.
      collect() {
        const n = queued();
        if (n !== null) this.set(n);
      },
    });
    this.auditWriteDuration = new Histogram({
      name: 'tokengate_audit_write_duration_seconds',
      help: "Time one batch of the audit queue took to write (one transaction; the writer thread's on a SQLite file).",
      buckets: AUDIT_WRITE_BUCKETS,
      registers: [this.registry],
    });
    this.authOutcomes = new LeanCounter(
      'tokengate_auth_outcomes_total',
      'Authentication outcomes: authenticated, anonymous, passed-on, session, denied, rate-limited, blocked, password, password-failed.',
    );
    registerLean(this.registry, this.authOutcomes);
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
    this.bruteForceBlocks = new Counter({
      name: 'tokengate_bruteforce_blocks_total',
      help: 'Brute-force blocks this node imposed (auth.bruteForce), by subject: a client IP, or a user name from one IP.',
      labelNames: ['subject'],
      registers: [this.registry],
    });
    for (const subject of ['ip', 'user']) this.bruteForceBlocks.labels(subject).inc(0);
    this.auth = new AuthMetrics(this.registry);
    this.requests = new RequestMetrics(this.registry);
    this.cacheLookups = new LeanCounter(
      'tokengate_credential_cache_lookups_total',
      "The gateway's token lookups: answered from memory (hit) or read from the database (miss).",
    );
    registerLean(this.registry, this.cacheLookups);
  }

  /** Reads the credential cache's own counts at each scrape (it keeps plain numbers). */
  watchCache(cache: CacheLookups): void {
    this.cacheLookups.reading({ result: 'hit' }, () => cache.lookups.hits);
    this.cacheLookups.reading({ result: 'miss' }, () => cache.lookups.misses);
  }

  /** Reads the audit queue's length at each scrape. */
  watchAuditQueue(queue: { readonly size: number }): void {
    this.queued = () => queue.size;
  }
}
