import { create } from "@bufbuild/protobuf";
import { createDeviceEnvelope, devicePayloadRegistry, encodeEnvelope } from "@langtian/envelope";
import { TelemetrySchema } from "@langtian/proto";
import { Admin, Producer } from "@platformatic/kafka";
import type { TableRows } from "../lake/batch-writer.ts";
import { createBatchBuilder } from "../tables/batch-builder.ts";
import { routeRecord } from "../tables/event-tables.ts";

/** Creates a topic with `partitions` partitions (test and benchmark helper). */
export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: "lake-writer-test-admin", bootstrapBrokers: bootstrap.split(",") });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Encoded telemetry envelopes `first … first + count - 1` of one test device family. */
export function telemetryEvents(
  count: number,
  first = 0,
  devices = 16,
): { key: string; value: Uint8Array }[] {
  const events: { key: string; value: Uint8Array }[] = [];
  for (let i = first; i < first + count; i++) {
    const deviceId = `dev-${i % devices}`;
    const envelope = createDeviceEnvelope({
      sourceSystem: "test/lake-writer",
      eventTime: new Date(Date.UTC(2026, 10, 27, 12, 0, 0) + i),
      payload: {
        kind: "telemetry",
        message: create(TelemetrySchema, {
          deviceId,
          sequence: BigInt(i),
          readings: [{ metric: "temp", value: { case: "doubleValue", value: 20 + (i % 10) }, unit: "C" }],
        }),
      },
    });
    events.push({ key: deviceId, value: encodeEnvelope(envelope) });
  }
  return events;
}

/**
 * Routes telemetry events `first … first + count - 1` into one batch, as the ingest loop does
 * for records at positions `first …` of the source partition `key`.
 */
export function telemetryBatch(
  key: { source: string; partition: string },
  count: number,
  first = 0,
): TableRows[] {
  const builder = createBatchBuilder();
  telemetryEvents(count, first).forEach((event, i) => {
    builder.add(routeRecord(event.value, { ...key, position: BigInt(first + i) }, devicePayloadRegistry));
  });
  return builder.build();
}

/** Produces raw values to a topic in chunks, waiting for the broker's acks. */
export async function produce(
  bootstrap: string,
  topic: string,
  events: readonly { key: string; value: Uint8Array }[],
): Promise<void> {
  const producer = new Producer({
    clientId: "lake-writer-test-producer",
    bootstrapBrokers: bootstrap.split(","),
    idempotent: true,
  });
  try {
    for (let i = 0; i < events.length; i += 1000) {
      await producer.send({
        messages: events.slice(i, i + 1000).map((e) => ({
          topic,
          key: Buffer.from(e.key),
          value: Buffer.from(e.value),
        })),
      });
    }
  } finally {
    await producer.close();
  }
}
