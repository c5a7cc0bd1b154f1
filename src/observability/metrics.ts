// Metrics for /metrics, on prom-client: one registry per service instance (several services in one
// process, as in tests, never share or clash), plus the process and event-loop metrics, which
// belong to the process and so are collected once per process. The facade (counter, gauge,
// sampled, histogram, value, render) is what the rest of callhook calls.
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string>;

/**
 * A counter whose increments carry exactly the labels it declared (`L`): prom-client throws at run
 * time on an undeclared label, so the type says it at compile time instead.
 */
export interface Counter<L extends string = never> {
  inc(by?: number, ...labels: [L] extends [never] ? [] : [Record<L, string>]): void;
}

export interface Histogram<L extends string = never> {
  observe(value: number, ...labels: [L] extends [never] ? [] : [Record<L, string>]): void;
}

export interface Sample {
  labels?: Labels;
  value: number;
}

/** What prom-client keeps per label set (not in its types; read by value(), for tests and benches). */
type Series = { labels: Labels; value?: number; count?: number };
const seriesOf = (metric: object): Series[] => Object.values((metric as { hashMap: Record<string, Series> }).hashMap);

/** Time spans in seconds, 1 ms to 30 s: attempts end at their deadline (2 s by default, 10 s at most). */
export const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

let processRegistry: Registry | null = null;
/**
 * Process and event-loop metrics (CPU, memory, handles, GC, event-loop lag): made once per process,
 * since each collector starts an event-loop monitor and a GC observer that live as long as it.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  /** This instance's own metrics; prom-client's default registry is never used. */
  readonly registry = new Registry();
  private readonly counters = new Map<string, { metric: PromCounter<string>; handle: Counter<string> }>();
  private readonly histograms = new Map<string, { metric: PromHistogram<string>; handle: Histogram<string> }>();
  /** Gauges and sampled metrics: read at scrape time, and by value(). */
  private readonly reads = new Map<string, () => Sample[]>();
  private readonly withProcess: boolean;

  /** `processMetrics: false` leaves the process's own metrics out (unit tests of one metric's text). */
  constructor(options: { processMetrics?: boolean } = {}) {
    this.withProcess = options.processMetrics ?? true;
    if (this.withProcess) processMetrics();
  }

  /** A counter; `labelNames` are every label its increments may carry (prom-client checks them). Asked again by name: the same counter. */
  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const existing = this.counters.get(name);
    if (existing) return existing.handle as Counter<L>;
    const metric = new PromCounter<string>({ name, help, labelNames: [...labelNames], registers: [this.registry] });
    const handle: Counter<string> = {
      inc(by = 1, labels?: Labels) {
        if (labels) metric.inc(labels, by);
        else metric.inc(by);
      },
    };
    this.counters.set(name, { metric, handle });
    return handle as Counter<L>;
  }

  /** A histogram with `buckets` (upper bounds); asked again by name: the same histogram. */
  histogram<L extends string = never>(name: string, help: string, options: { buckets: readonly number[]; labelNames?: readonly L[] }): Histogram<L> {
    const existing = this.histograms.get(name);
    if (existing) return existing.handle as Histogram<L>;
    const metric = new PromHistogram<string>({ name, help, buckets: [...options.buckets], labelNames: [...(options.labelNames ?? [])], registers: [this.registry] });
    const handle: Histogram<string> = {
      observe(value, labels?: Labels) {
        if (labels) metric.observe(labels, value);
        else metric.observe(value);
      },
    };
    this.histograms.set(name, { metric, handle });
    return handle as Histogram<L>;
  }

  /** A gauge read at scrape time; a later one of the same name replaces it. */
  gauge(name: string, help: string, read: () => number): void {
    this.replace(name);
    new PromGauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
    this.reads.set(name, () => [{ value: read() }]);
  }

  /** A gauge or counter with labels whose samples are read at scrape time; `type` is what Prometheus is told. */
  sampled(name: string, help: string, type: 'gauge' | 'counter', read: () => Sample[]): void {
    this.replace(name);
    // The label names are whatever the samples carry, so this is a collector of its own rather
    // than a prom-client Gauge (which wants them up front); the registry formats it all the same.
    this.registry.registerMetric({
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: read().map((s) => ({ labels: s.labels ?? {}, value: s.value })) }),
    } as never);
    this.reads.set(name, read);
  }

  /**
   * The current value of a metric (summed over label sets when none are given, else the one with
   * exactly these labels); a histogram answers its number of observations. For tests and benches.
   */
  value(name: string, labels?: Labels): number {
    const read = this.reads.get(name);
    const series: Series[] = read
      ? read().map((s) => ({ labels: s.labels ?? {}, value: s.value }))
      : seriesOf(this.counters.get(name)?.metric ?? this.histograms.get(name)?.metric ?? { hashMap: {} });
    return series.filter((s) => !labels || sameLabels(s.labels, labels)).reduce((sum, s) => sum + (s.count ?? s.value ?? 0), 0);
  }

  /** The text exposition format (Prometheus 0.0.4). */
  async render(): Promise<string> {
    const own = await this.registry.metrics();
    return this.withProcess ? `${await processMetrics().metrics()}\n${own}` : own;
  }

  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  private replace(name: string): void {
    this.registry.removeSingleMetric(name);
    this.reads.delete(name);
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
