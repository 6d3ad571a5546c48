import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { topicSize } from "./kafka-size.ts";
import type { Pipeline } from "./pipeline.ts";

/** Where the pipeline stands, read from metrics, JetStream and Kafka (undefined: could not tell). */
export interface Observation {
  /** Events the collector accepted: decoded into a valid envelope and not refused. */
  readonly accepted: number | undefined;
  readonly spoolDepth: number | undefined;
  readonly streamMessages: number | undefined;
  /** Bridge consumer: messages not delivered yet plus delivered and not acked. */
  readonly bridgePending: number | undefined;
  /** Records in the Kafka topic. */
  readonly kafkaRecords: number | undefined;
  readonly lakeWritersUp: number;
  readonly ownedPartitions: number;
  readonly lagRecords: number;
  /** Rows the lake writers reported written, over all their lifetimes. */
  readonly rowsWritten: number;
  readonly commitFailures: number;
  readonly duplicatesDropped: number | undefined;
  readonly deadLetters: number;
}

const collectorMetric = (name: string) => `langtian_collector_${name}`;
const lakeMetric = (name: string) => `langtian_lake_writer_${name}`;

/** Scrapes every service and asks JetStream and Kafka where the pipeline stands. */
export async function observe(pipeline: Pipeline, nc: NatsConnection): Promise<Observation> {
  await Promise.all(pipeline.services().map((s) => s.scrape()));
  const { collector, lakeWriters, names } = pipeline;
  const decoded = collector.counterTotal(collectorMetric("events_decoded_total"));
  const rejected = collector.counterTotal(collectorMetric("rejected_total")) ?? 0;
  const jsm = await jetstreamManager(nc, { timeout: 3_000 }).catch(() => undefined);
  const streamMessages = await jsm?.streams
    .info(names.stream)
    .then((i) => i.state.messages)
    .catch(() => undefined);
  const bridgePending =
    pipeline.bridges.length === 0
      ? undefined
      : await jsm?.consumers
          .info(names.stream, names.durable)
          .then((i) => i.num_pending + i.num_ack_pending)
          .catch(() => undefined);
  const kafkaRecords = pipeline.kafka
    ? await topicSize(pipeline.kafka.bootstrap, names.topic).catch(() => undefined)
    : undefined;
  const sum = (values: (number | undefined)[]) => values.reduce<number>((a, v) => a + (v ?? 0), 0);
  const dropped = lakeWriters.map((w) => w.counterTotal(lakeMetric("duplicates_dropped_total")));
  return {
    accepted: decoded === undefined ? undefined : decoded - rejected,
    spoolDepth: collector.gauge(collectorMetric("spool_depth_events")),
    streamMessages,
    bridgePending,
    kafkaRecords,
    lakeWritersUp: lakeWriters.filter((w) => w.current() !== undefined).length,
    ownedPartitions: sum(lakeWriters.map((w) => w.gauge(lakeMetric("owned_partitions")))),
    lagRecords: sum(lakeWriters.map((w) => w.gauge(lakeMetric("partition_lag_records")))),
    rowsWritten: sum(lakeWriters.map((w) => w.counterTotal(lakeMetric("rows_written_total")))),
    commitFailures: sum(lakeWriters.map((w) => w.counterTotal(lakeMetric("commit_failures_total")))),
    duplicatesDropped: dropped.every((d) => d === undefined) ? undefined : sum(dropped),
    deadLetters: sum(lakeWriters.map((w) => w.counterTotal(lakeMetric("dead_letters_total")))),
  };
}

/** One progress line. */
export function formatObservation(o: Observation): string {
  const n = (v: number | undefined) => (v === undefined ? "?" : String(v));
  return [
    `accepted ${n(o.accepted)}`,
    `spool ${n(o.spoolDepth)}`,
    `stream ${n(o.streamMessages)}`,
    ...(o.bridgePending === undefined ? [] : [`bridge-pending ${o.bridgePending}`]),
    ...(o.kafkaRecords === undefined ? [] : [`kafka ${o.kafkaRecords}`]),
    `writers-up ${o.lakeWritersUp}`,
    `owned ${o.ownedPartitions}`,
    `lag ${o.lagRecords}`,
    `rows-written ${o.rowsWritten}`,
    `commit-failures ${o.commitFailures}`,
    `dups-dropped ${n(o.duplicatesDropped)}`,
  ].join(" | ");
}
