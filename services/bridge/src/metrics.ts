import type { MetricFactory } from "@langtian/service-kit";
import type { Counter, Gauge, Histogram } from "prom-client";

export type { MetricFactory };

/** The bridge's Prometheus metrics, registered on the app's own registry (never the global one). */
export interface BridgeMetrics {
  readonly consumed: Counter;
  readonly redeliveries: Counter;
  readonly produced: Counter;
  readonly acked: Counter;
  readonly naked: Counter<"reason">;
  readonly deadLettered: Counter<"reason">;
  readonly decoded: Counter<"reason">;
  readonly kafkaErrors: Counter;
  readonly produceSeconds: Histogram;
  readonly endToEndLagSeconds: Histogram;
  readonly consumerPending: Gauge;
  readonly consumerAckPending: Gauge;
  readonly consumerRedelivered: Gauge;
  readonly inFlight: Gauge;
  readonly streamBytes: Gauge<"stream">;
  readonly streamMessages: Gauge<"stream">;
  readonly streamLimitBytes: Gauge<"stream">;
  readonly streamLimitMessages: Gauge<"stream">;
}

/** Creates the bridge metrics with the app's factories. */
export function createBridgeMetrics(f: MetricFactory): BridgeMetrics {
  return {
    consumed: f.counter({
      name: "consumed_total",
      help: "JetStream messages received (redeliveries included).",
    }),
    redeliveries: f.counter({
      name: "redeliveries_total",
      help: "JetStream messages received again (delivery count above 1): AckWait expiries, naks, lost instances.",
    }),
    produced: f.counter({
      name: "produced_total",
      help: "Records confirmed by Kafka (acks=all), dead letters included.",
    }),
    acked: f.counter({
      name: "acked_total",
      help: "JetStream messages acked after their Kafka write was confirmed.",
    }),
    naked: f.counter({
      name: "naked_total",
      help: "JetStream messages negatively acked for redelivery, by reason.",
      labelNames: ["reason"],
    }),
    deadLettered: f.counter({
      name: "dead_lettered_total",
      help: "Poison messages written to the dead-letter topic and terminated, by reason.",
      labelNames: ["reason"],
    }),
    decoded: f.counter({
      name: "decoded_total",
      help: "Messages whose envelope was decoded because their NATS headers did not carry the event's metadata (no-event-headers: an older collector or another publisher) or carried it malformed (malformed-event-headers).",
      labelNames: ["reason"],
    }),
    kafkaErrors: f.counter({
      name: "kafka_produce_errors_total",
      help: "Kafka produce requests that failed.",
    }),
    produceSeconds: f.histogram({
      name: "kafka_produce_seconds",
      help: "Latency of one Kafka produce request (one batch) until acks=all confirmation.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    endToEndLagSeconds: f.histogram({
      name: "end_to_end_lag_seconds",
      help: "now − event_timestamp when the event's Kafka write is confirmed.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
    consumerPending: f.gauge({
      name: "consumer_pending",
      help: "Messages in the stream not yet delivered to the durable consumer (num_pending).",
    }),
    consumerAckPending: f.gauge({
      name: "consumer_ack_pending",
      help: "Messages delivered to the consumer, all instances together, awaiting ack.",
    }),
    consumerRedelivered: f.gauge({
      name: "consumer_redelivered",
      help: "Messages of the consumer that were delivered more than once and are not yet acked.",
    }),
    inFlight: f.gauge({
      name: "in_flight",
      help: "Messages this instance holds: received, not yet acked, naked or terminated.",
    }),
    streamBytes: f.gauge({
      name: "stream_bytes",
      help: "Bytes the JetStream stream the bridge reads holds (all subjects, consumed or not).",
      labelNames: ["stream"],
    }),
    streamMessages: f.gauge({
      name: "stream_messages",
      help: "Messages the JetStream stream the bridge reads holds.",
      labelNames: ["stream"],
    }),
    streamLimitBytes: f.gauge({
      name: "stream_limit_bytes",
      help: "The stream's max_bytes limit (no sample when unlimited).",
      labelNames: ["stream"],
    }),
    streamLimitMessages: f.gauge({
      name: "stream_limit_messages",
      help: "The stream's max_msgs limit (no sample when unlimited).",
      labelNames: ["stream"],
    }),
  };
}
