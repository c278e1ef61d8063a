import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Options of {@link ProcessMetrics}. */
export interface ProcessMetricsOptions {
  /**
   * Node's default metrics (event-loop lag, heap, GC, CPU, file descriptors), prefixed `nodejs_` / `process_`.
   * @default true
   */
  defaults?: boolean;
}

/** Label values of one series. */
export type Labels<T extends string> = Partial<Record<T, string | number>>;

/**
 * The metrics of one process: one prom-client {@link Registry}, labelled with the service's name, served in the
 * Prometheus text format by the admin server's `/metrics`. Every metric of the process is registered here (never in
 * prom-client's global registry), so two servers built in one test process do not collide.
 *
 * Besides plain counters, gauges and histograms it offers metrics *read at scrape time* from counters a component
 * already keeps ({@link counterFrom}, {@link gaugeFrom}): the hot path keeps incrementing a plain number, and nothing
 * is paid until Prometheus asks.
 */
export class ProcessMetrics {
  readonly registry = new Registry();

  constructor(
    readonly service: string,
    options: ProcessMetricsOptions = {},
  ) {
    this.registry.setDefaultLabels({ service });
    if (options.defaults ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** A counter (a name ending in `_total`). */
  counter<T extends string>(name: string, help: string, labelNames: readonly T[] = []): Counter<T> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge. */
  gauge<T extends string>(name: string, help: string, labelNames: readonly T[] = []): Gauge<T> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** A histogram; `buckets` in the metric's unit (seconds for durations). */
  histogram<T extends string>(
    name: string,
    help: string,
    labelNames: readonly T[],
    buckets: readonly number[],
  ): Histogram<T> {
    return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }

  /**
   * A gauge whose series are read at scrape time: `read` returns each series' labels and value. Series that `read`
   * no longer returns disappear (a closed pool, a removed replica).
   */
  gaugeFrom<T extends string>(
    name: string,
    help: string,
    labelNames: readonly T[],
    read: () => Iterable<[Labels<T>, number]>,
  ): Gauge<T> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }

  /** Like {@link gaugeFrom}, for values that take a round trip to read (a broker's queue depth). */
  gaugeFromAsync<T extends string>(
    name: string,
    help: string,
    labelNames: readonly T[],
    read: () => Promise<Iterable<[Labels<T>, number]>>,
  ): Gauge<T> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const series = await read();
        this.reset();
        for (const [labels, value] of series) this.set(labels, value);
      },
    });
  }

  /**
   * A counter whose series are read at scrape time from totals a component keeps (they must only grow while the
   * process lives, as a Prometheus counter does).
   */
  counterFrom<T extends string>(
    name: string,
    help: string,
    labelNames: readonly T[],
    read: () => Iterable<[Labels<T>, number]>,
  ): Counter<T> {
    return new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }

  /** The exposition: Prometheus text format 0.0.4. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `content-type` of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
