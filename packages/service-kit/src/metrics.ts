/**
 * Metrics: one prom-client `Registry` per app instance (never the global one, so two apps in
 * one test process do not collide), with default process metrics and helpers that create
 * metrics on that registry.
 */
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from "prom-client";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { toEnvSegment } from "./config-schema.ts";

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Service name; stage metrics are named `langtian_<service>_<name>`. */
  readonly service: string;
  /** Instance id, added as the `instance_id` label on every series. */
  readonly instanceId: string;
  /** Set false to skip default process/Node metrics (default true). */
  readonly defaultMetrics?: boolean;
}

/** Metric options without `registers`/`name`: the helper fixes both. */
type Opts<C> = Omit<C, "registers" | "name"> & { readonly name: string };

/** A service's metrics: its registry plus factories that register on it. */
export interface ServiceMetrics {
  /** The per-app registry (`/metrics` serves it). */
  readonly registry: Registry;
  /** Prefix added to stage metric names, e.g. `langtian_lake_writer_`. */
  readonly prefix: string;
  /** Creates a counter named `<prefix><name>` (name should end in `_total`). */
  counter<L extends string = string>(options: Opts<CounterConfiguration<L>>): Counter<L>;
  /** Creates a gauge named `<prefix><name>`. */
  gauge<L extends string = string>(options: Opts<GaugeConfiguration<L>>): Gauge<L>;
  /** Creates a histogram named `<prefix><name>` (name should carry the unit, e.g. `_seconds`). */
  histogram<L extends string = string>(options: Opts<HistogramConfiguration<L>>): Histogram<L>;
  /** The Prometheus text exposition of every metric. */
  text(): Promise<string>;
}

/**
 * The metric factories alone: what a stage's metrics module needs, so its unit tests can
 * pass a plain registry-backed fake instead of a whole {@link ServiceMetrics}.
 */
export type MetricFactory = Pick<ServiceMetrics, "counter" | "gauge" | "histogram">;

/**
 * Creates the per-app metrics registry. Default process metrics are prefixed `langtian_`
 * (e.g. `langtian_process_cpu_seconds_total`) and every series carries `service` and
 * `instance_id` labels, so one dashboard covers all services.
 */
export function createMetrics(options: MetricsOptions): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service, instance_id: options.instanceId });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "langtian_" });
  const prefix = `langtian_${toEnvSegment(options.service).toLowerCase()}_`;
  return {
    registry,
    prefix,
    counter: (o) => new Counter({ ...o, name: prefix + o.name, registers: [registry] }),
    gauge: (o) => new Gauge({ ...o, name: prefix + o.name, registers: [registry] }),
    histogram: (o) => new Histogram({ ...o, name: prefix + o.name, registers: [registry] }),
    text: () => registry.metrics(),
  };
}
