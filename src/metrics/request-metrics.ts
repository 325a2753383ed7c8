import type { Registry } from 'prom-client';
import type { AccessEntrypoint } from '../log/access-log.js';
import { LeanCounter, LeanHistogram, registerLean, type CounterSeries } from './lean.js';

/** Status classes, indexed by the status's first digit. */
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Counts a listener's answers by status class; the series are bound at start-up. */
export class AnswerCounter {
  /** By the status's first digit; index 0 is unused. */
  private readonly byClass: Array<CounterSeries | undefined>;

  constructor(requests: LeanCounter, entrypoint: AccessEntrypoint) {
    this.byClass = [undefined, ...CLASSES.map((c) => requests.bind({ entrypoint, code_class: c }))];
  }

  /** One answer with this status (its response headers were sent). */
  answered(status: number): void {
    this.byClass[(status / 100) | 0]?.inc();
  }
}

/**
 * Upper bounds of the upstream's time to its response headers, in seconds: an application's
 * answers, from a cached page to a slow report or a large Git pack's negotiation.
 */
export const UPSTREAM_BUCKETS = [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10];

/** The reverse proxy's upstream: time to its response headers, and the requests it failed. */
export class UpstreamMetrics {
  readonly duration = new LeanHistogram(
    'tokengate_upstream_duration_seconds',
    "Time from sending a request to the upstream until its response headers arrived (the response body's streaming is not counted).",
    UPSTREAM_BUCKETS,
  );
  private readonly errors = new LeanCounter(
    'tokengate_upstream_errors_total',
    'Requests the upstream failed before its response started: 502 (unreachable, reset) or 504 (timed out).',
  );
  private readonly unreachable: CounterSeries;
  private readonly timedOut: CounterSeries;

  constructor(registry: Registry) {
    this.unreachable = this.errors.bind({ code: '502' });
    this.timedOut = this.errors.bind({ code: '504' });
    registerLean(registry, this.duration);
    registerLean(registry, this.errors);
  }

  failed(status: 'bad_gateway' | 'gateway_timeout'): void {
    (status === 'gateway_timeout' ? this.timedOut : this.unreachable).inc();
  }
}

/** The answers of the gateway's listener: the proxy's and forward-auth's, and the upstream's. */
export class RequestMetrics {
  readonly proxy: AnswerCounter;
  readonly forwardAuth: AnswerCounter;
  readonly upstream: UpstreamMetrics;

  constructor(registry: Registry) {
    const requests = new LeanCounter(
      'tokengate_requests_total',
      "Answers of the gateway's listener by entry point (proxy, forward_auth) and status class.",
    );
    this.proxy = new AnswerCounter(requests, 'proxy');
    this.forwardAuth = new AnswerCounter(requests, 'forward_auth');
    registerLean(registry, requests);
    this.upstream = new UpstreamMetrics(registry);
  }
}
