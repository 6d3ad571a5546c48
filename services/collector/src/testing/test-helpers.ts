import { Writable } from "node:stream";
import { fromBinary } from "@bufbuild/protobuf";
import { type Envelope, EnvelopeSchema } from "@langtian/proto";
import { loadConfig } from "@langtian/service-kit";
import { tempDir, uniqueName, waitFor } from "@langtian/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Registry } from "prom-client";
import { type CollectorConfig, collectorConfigSchema } from "../config.ts";
import { DEVICE_FORMATS } from "../simulator/device-messages.ts";

/**
 * Shared helpers of the collector's integration tests (real nats-server): an isolated
 * config (own stream, subjects and spool dir), stream reads and metric reads.
 */

/** A config with its own stream, subject prefix and spool dir, and one listener per format. */
export function isolatedConfig(natsUrl: string, overrides: Record<string, unknown> = {}): CollectorConfig {
  const name = uniqueName("collector");
  const listeners = DEVICE_FORMATS.map(
    (f) => `udp://127.0.0.1:0?decoder=${f}&event_type=device.telemetry&source_system=test-site&name=${f}`,
  );
  const file: Record<string, unknown> = {
    port: 0,
    logLevel: "warn",
    nats: { url: natsUrl, ackTimeoutMs: 2_000 },
    stream: {
      name: name.toUpperCase(),
      subjectPrefix: `${name}.events`,
      // Small: JetStream reserves each stream's max_bytes on the shared test server.
      maxBytes: 64 * 1024 * 1024,
      maxAgeMs: 3_600_000,
    },
    udp: { listeners },
    publish: { replayRetryMs: 100 },
    spool: { dir: tempDir("collector-spool"), fsync: "never" },
  };
  for (const [key, value] of Object.entries(overrides)) {
    file[key] = typeof value === "object" && value !== null ? { ...(file[key] as object), ...value } : value;
  }
  return loadConfig(collectorConfigSchema, {}, file);
}

/** A log destination that discards output (tests keep their output readable). */
export const quietLog = new Writable({
  write(_chunk, _encoding, done) {
    done();
  },
});

/** Number of messages in a stream. */
export async function streamMessageCount(nc: NatsConnection, stream: string): Promise<number> {
  const info = await (await jetstreamManager(nc)).streams.info(stream);
  return info.state.messages;
}

/** Waits (polling, generous timeout) until the stream holds exactly `count` messages. */
export async function waitForStreamCount(
  nc: NatsConnection,
  stream: string,
  count: number,
  timeoutMs = 60_000,
) {
  return waitFor(async () => ((await streamMessageCount(nc, stream)) >= count ? true : undefined), {
    what: `${count} messages in stream ${stream}`,
    timeoutMs,
  });
}

/** Every message of a stream, decoded as envelopes, with their subjects. */
export async function readStream(
  nc: NatsConnection,
  stream: string,
): Promise<{ subject: string; envelope: Envelope }[]> {
  const total = await streamMessageCount(nc, stream);
  const out: { subject: string; envelope: Envelope }[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.fetch({ max_messages: total, expires: 10_000 });
  for await (const m of messages) {
    out.push({ subject: m.subject, envelope: fromBinary(EnvelopeSchema, m.data) });
    if (out.length === total) break;
  }
  return out;
}

/** Sum of a metric's values, optionally only the series matching `labels`. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
    .reduce((sum, v) => sum + v.value, 0);
}

/** A plain connection for the test's own reads. */
export function connectTo(url: string): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
}
