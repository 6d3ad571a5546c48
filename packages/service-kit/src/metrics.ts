/**
 * Metrics: one prom-client `Registry` per app instance (never the global one, so two apps in
 * one test process do not collide), with default process metrics and helpers that create
 * metrics on that registry.
 */
import { statfs } from "node:fs/promises";
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from "prom-client";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { toEnvSegment } from "./config-schema.ts";

/** prom-client default gauges whose `_total` suffix breaks the Prometheus naming rules. */
const nonCounterTotals = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
] as const;

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
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: "langtian_" });
    // prom-client names three gauges `..._total`, a suffix Prometheus reserves for counters
    // (`promtool check metrics` fails them). Their per-type siblings without the suffix stay:
    // `sum(langtian_nodejs_active_handles)` is the same total.
    for (const name of nonCounterTotals) registry.removeSingleMetric(`langtian_${name}`);
  }
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

/**
 * Registers `langtian_volume_free_bytes{volume}` and `langtian_volume_size_bytes{volume}`:
 * free space (for unprivileged users) and size of the file system holding each named folder,
 * read with statfs at scrape time, so a disk-free alert covers the volumes the service itself
 * writes (the collector's spool, a local lake) without a host exporter. A folder that cannot be
 * read (missing, or statfs unsupported) has no sample. Call once per registry.
 */
export function volumeMetrics(
  metrics: Pick<ServiceMetrics, "registry">,
  volumes: Record<string, string>,
): void {
  const read = async () =>
    Promise.all(
      Object.entries(volumes).map(async ([volume, path]) => {
        const fs = await statfs(path).catch(() => undefined);
        return { volume, fs };
      }),
    );
  new Gauge({
    name: "langtian_volume_free_bytes",
    help: "Bytes free for the service's user on the file system holding the volume's folder (spool, lake data).",
    labelNames: ["volume"],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const { volume, fs } of await read()) if (fs) this.set({ volume }, fs.bavail * fs.bsize);
    },
  });
  new Gauge({
    name: "langtian_volume_size_bytes",
    help: "Size of the file system holding the volume's folder, in bytes.",
    labelNames: ["volume"],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const { volume, fs } of await read()) if (fs) this.set({ volume }, fs.blocks * fs.bsize);
    },
  });
}
