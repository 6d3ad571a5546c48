import { join, resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createDeviceEnvelope, encodeEnvelope } from "@langtian/envelope";
import { TelemetrySchema } from "@langtian/proto";
import {
  type NodeService,
  startNodeService,
  tempDir,
  testKafkaBootstrap,
  uniqueName,
  waitFor,
} from "@langtian/testing";
import { Admin, Producer } from "@platformatic/kafka";
import { loadQueryApiConfig, type QueryApiConfig } from "../config.ts";

/** The lake writer's entry point, run as a child: the query API's tests read a lake it wrote. */
const LAKE_WRITER_MAIN = resolve(import.meta.dirname, "../../../lake-writer/src/main.ts");

/** Start of the test events' event time: 2026-11-27T12:00:00Z, one ms apart. */
export const FIRST_EVENT_MS = Date.UTC(2026, 10, 27, 12, 0, 0);

/** Options of {@link startWrittenLake}. */
export interface WrittenLakeOptions {
  /** A PostgreSQL catalog (libpq DSN) instead of the default SQLite file. */
  readonly postgresDsn?: string;
}

/** A lake written by a real lake writer from a real Kafka topic (SQLite catalog by default). */
export interface WrittenLake {
  readonly dir: string;
  readonly catalogPath: string;
  readonly dataPath: string;
  readonly topic: string;
  /** Events produced so far. */
  produced(): number;
  /** Produces `count` more telemetry events (continuing the sequence) and waits for Kafka's acks. */
  produce(count: number): Promise<void>;
  /** The running lake writer. */
  readonly writer: NodeService;
  /** A query API configuration reading this lake (loopback, no keys unless given). */
  queryApiConfig(overrides?: Record<string, unknown>): QueryApiConfig;
  /** Stops the writer. */
  stop(): Promise<void>;
}

/**
 * Produces `events` telemetry events (16 devices, event times 1 ms apart from
 * {@link FIRST_EVENT_MS}) to a fresh topic of the shared test Kafka, starts the lake writer's
 * `main.ts` on it with its default SQLite catalog in a fresh folder, and returns once the
 * writer committed them all. The writer keeps running, so tests can read while it writes.
 */
export async function startWrittenLake(
  events: number,
  options: WrittenLakeOptions = {},
): Promise<WrittenLake> {
  const bootstrap = await testKafkaBootstrap();
  const topic = uniqueName("query-api");
  const dir = tempDir("query-api-lake");
  const catalogPath = join(dir, "catalog.sqlite");
  const dataPath = join(dir, "data");
  const admin = new Admin({ clientId: "query-api-test-admin", bootstrapBrokers: bootstrap.split(",") });
  try {
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
  } finally {
    await admin.close();
  }
  let produced = 0;
  const produce = async (count: number) => {
    await produceTelemetry(bootstrap, topic, produced, count);
    produced += count;
  };
  await produce(events);
  const writer = await startNodeService({
    name: "lake-writer",
    script: LAKE_WRITER_MAIN,
    env: {
      LANGTIAN_LAKE_WRITER_PORT: "0",
      // startNodeService reads the "listening" line, logged at info.
      LANGTIAN_LAKE_WRITER_LOG_LEVEL: "info",
      ...(options.postgresDsn === undefined
        ? { LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "sqlite", LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: catalogPath }
        : {
            LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "postgres",
            LANGTIAN_LAKE_WRITER_LAKE_POSTGRES_DSN: options.postgresDsn,
          }),
      LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: dataPath,
      LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: bootstrap,
      LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: topic,
      LANGTIAN_LAKE_WRITER_KAFKA_GROUP_ID: uniqueName("query-api-writer"),
      LANGTIAN_LAKE_WRITER_MAINTENANCE_INTERVAL_MS: "0",
    },
    logFile: join(dir, "lake-writer.log"),
    readyTimeoutMs: 120_000,
  });
  const lake: WrittenLake = {
    dir,
    catalogPath,
    dataPath,
    topic,
    writer,
    produced: () => produced,
    produce,
    queryApiConfig(overrides = {}) {
      const file: Record<string, unknown> = {
        port: 0,
        logLevel: "warn",
        lake:
          options.postgresDsn === undefined
            ? { catalog: "sqlite", catalogPath, dataPath }
            : { catalog: "postgres", postgresDsn: options.postgresDsn, dataPath },
        sandbox: { tempDir: join(dir, "query-tmp") },
      };
      for (const [key, value] of Object.entries(overrides)) {
        file[key] =
          typeof value === "object" && value !== null && !Array.isArray(value)
            ? { ...(file[key] as object), ...value }
            : value;
      }
      return loadQueryApiConfig({}, file);
    },
    stop: () => writer.process.kill().then(() => undefined),
  };
  await waitForCommitted(writer, produced);
  return lake;
}

/** Waits until the writer's metrics say it committed `count` records. */
export async function waitForCommitted(writer: NodeService, count: number): Promise<void> {
  await waitFor(
    async () => {
      const text = await writer.metricsText();
      const committed = [...text.matchAll(/^langtian_lake_writer_rows_written_total(?:\{[^}]*\})? (\d+)/gm)]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0);
      return committed >= count ? true : undefined;
    },
    { what: `the lake writer to commit ${count} events`, timeoutMs: 120_000, intervalMs: 200 },
  );
}

/** Produces telemetry events `first … first + count - 1` (keyed by device). */
async function produceTelemetry(
  bootstrap: string,
  topic: string,
  first: number,
  count: number,
): Promise<void> {
  const producer = new Producer({
    clientId: "query-api-test-producer",
    bootstrapBrokers: bootstrap.split(","),
    idempotent: true,
  });
  try {
    for (let start = first; start < first + count; start += 1000) {
      const messages = [];
      for (let i = start; i < Math.min(first + count, start + 1000); i++) {
        const deviceId = `dev-${i % 16}`;
        const envelope = createDeviceEnvelope({
          sourceSystem: i % 2 === 0 ? "plant-a" : "plant-b",
          eventTime: new Date(FIRST_EVENT_MS + i),
          // As the collector stamps it.
          receivedTime: new Date(),
          payload: {
            kind: "telemetry",
            message: create(TelemetrySchema, {
              deviceId,
              sequence: BigInt(i),
              readings: [{ metric: "temp", value: { case: "doubleValue", value: 20 + (i % 10) }, unit: "C" }],
            }),
          },
        });
        messages.push({ topic, key: Buffer.from(deviceId), value: Buffer.from(encodeEnvelope(envelope)) });
      }
      await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
}
