import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the per-request path. prom-client's labelled `inc()` and `observe()`
 * hash the label set into a string on every call, even through a bound child; these keep one number
 * per series, bound once at start-up, so counting a request is one addition and timing one a short
 * loop over a handful of bounds. The text is made only when Prometheus scrapes.
 *
 * They register in a prom-client Registry like its own metrics (it needs only `name`, `help`,
 * `type`, `aggregator` and `get()`), so the registry's default labels (`node`) apply to them too.
 */

type Labels = Readonly<Record<string, string>>;

interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

interface Snapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

/** What a prom-client Registry reads from a metric; see {@link registerLean}. */
interface LeanMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<Snapshot>;
}

/**
 * Registers a lean metric in a prom-client Registry. The registry's type names its own four
 * classes; it calls only the members LeanMetric has (prom-client 15, lib/registry.js).
 */
export function registerLean(registry: Registry, metric: LeanMetric): void {
  registry.registerMetric(metric as unknown as Metric);
}

/** One series of a {@link LeanCounter}, bound at start-up; `inc()` is the whole per-request cost. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * A counter whose series are all declared up front (a closed set of label values), so each shows 0
 * before its first event and a dashboard's queries always find it. Or read from elsewhere at scrape
 * time (`read`), for numbers another object keeps itself.
 */
export class LeanCounter implements LeanMetric {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly series: CounterSeries[] = [];
  private readonly readers: Array<{ labels: Labels; read: () => number }> = [];

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The series with these labels; call once per series (at start-up where the set is closed) and keep it. */
  bind(labels: Labels = {}): CounterSeries {
    const s = new CounterSeries(labels);
    this.series.push(s);
    return s;
  }

  /** A series whose value `read` returns at each scrape (it must only grow). */
  reading(labels: Labels, read: () => number): void {
    this.readers.push({ labels, read });
  }

  get(): Promise<Snapshot> {
    const values: Sample[] = this.series.map((s) => ({ value: s.value, labels: s.labels }));
    for (const r of this.readers) values.push({ value: r.read(), labels: r.labels });
    return Promise.resolve({ name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values });
  }
}

/**
 * A histogram without labels over a few fixed upper bounds, in seconds. `observe` finds the first
 * bound at or above the value (a loop over the bounds, no allocation); the cumulative buckets
 * Prometheus expects are summed at scrape time.
 */
export class LeanHistogram implements LeanMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;
  private readonly les: string[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    for (let i = 1; i < bounds.length; i++) {
      const prev = bounds[i - 1] ?? -Infinity;
      if (!((bounds[i] ?? 0) > prev)) throw new Error(`${name}: bucket bounds must increase`);
    }
    this.counts = new Float64Array(bounds.length + 1);
    this.les = [...bounds.map(String), '+Inf'];
  }

  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > (b[i] ?? Infinity)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += seconds;
    this.count++;
  }

  get(): Promise<Snapshot> {
    const values: Sample[] = [];
    let cumulative = 0;
    this.les.forEach((le, i) => {
      cumulative += this.counts[i] ?? 0;
      values.push({ value: cumulative, labels: { le }, metricName: `${this.name}_bucket` });
    });
    values.push({ value: this.sum, labels: {}, metricName: `${this.name}_sum` });
    values.push({ value: this.count, labels: {}, metricName: `${this.name}_count` });
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: 'histogram',
      aggregator: 'sum',
      values,
    });
  }
}
