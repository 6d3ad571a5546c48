/**
 * The whole pipeline as Prometheus sees it in production: collector, bridge, lake writer,
 * query API and admin, each a child process from its `main.ts` on a free port, on the test
 * nats-server and Kafka broker (the shared ones under `npm test`), with their own stream,
 * durable, topics and lake. The deploy tests scrape them, lint their exposition and point a
 * real Prometheus at them.
 */
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  freePort,
  type NodeService,
  startNodeService,
  tempDir,
  testKafkaBootstrap,
  testNatsUrl,
  uniqueName,
} from "@langtian/testing";

const repoRoot = resolve(import.meta.dirname, "..", "..");
const main = (service: string) => join(repoRoot, "services", service, "src", "main.ts");

/** The operator token every service takes. */
const OPERATOR_TOKEN = "observed-pipeline-operator-token-0123";

/** The five services, running. */
export interface ObservedPipeline {
  readonly collector: NodeService;
  readonly bridge: NodeService;
  readonly lakeWriter: NodeService;
  readonly queryApi: NodeService;
  readonly admin: NodeService;
  /** Every service by its Prometheus job name (`langtian-collector`, ...). */
  readonly jobs: ReadonlyMap<string, NodeService>;
  /** The pipeline's folder (spool, lake, logs). */
  readonly dir: string;
  /**
   * Sends `count` JSON events to the collector's UDP listener, their own time (`ts`) set to the
   * send time plus `clockOffsetMs` (a device clock that is ahead, or behind when negative).
   */
  send(count: number, clockOffsetMs?: number): Promise<void>;
  /** Stops every service, last started first (idempotent). */
  stop(): Promise<void>;
}

/** Starts the five services in pipeline order; each answers `/healthz` when this resolves. */
export async function startObservedPipeline(): Promise<ObservedPipeline> {
  const dir = tempDir("observed-pipeline");
  const base = uniqueName("obs");
  const stream = base.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  const topic = `${base}.events`;
  const lake = { catalogPath: join(dir, "lake", "catalog.sqlite"), dataPath: join(dir, "lake", "data") };
  mkdirSync(join(dir, "lake"), { recursive: true });
  const [natsUrl, kafkaBootstrap, extensions, udpPort, silentPort] = await Promise.all([
    testNatsUrl(),
    testKafkaBootstrap(),
    provisionDuckdbExtensions(),
    freeUdpPort(),
    freePort(),
  ]);
  // The collector traces every event to an OTLP receiver that is not there: its exports fail,
  // as they do when a site's receiver is down, so the span counters have samples to alert on.
  const unreachableReceiver = `http://127.0.0.1:${silentPort}`;
  const started: NodeService[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const s of [...started].reverse()) await s.process.kill().catch(() => undefined);
    })();
    return stopping;
  };
  const launch = async (name: string, script: string, env: Record<string, string>) => {
    const service = await startNodeService({
      name,
      script,
      env,
      logFile: join(dir, `${name}.log`),
      readyTimeoutMs: 120_000,
    });
    started.push(service);
    return service;
  };
  try {
    const collector = await launch("collector", main("collector"), {
      LANGTIAN_COLLECTOR_PORT: "0",
      LANGTIAN_COLLECTOR_LOG_LEVEL: "info",
      LANGTIAN_COLLECTOR_OPERATOR_TOKEN: OPERATOR_TOKEN,
      LANGTIAN_COLLECTOR_NATS_URL: natsUrl,
      LANGTIAN_COLLECTOR_STREAM_NAME: stream,
      LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX: `obs.${base}`,
      LANGTIAN_COLLECTOR_SPOOL_DIR: join(dir, "spool"),
      LANGTIAN_COLLECTOR_UDP_LISTENERS: `udp://127.0.0.1:${udpPort}?decoder=json&event_type=device.telemetry&source_system=obs&name=json`,
      LANGTIAN_COLLECTOR_TRACING_OTLP_ENDPOINT: unreachableReceiver,
      LANGTIAN_COLLECTOR_TRACING_SAMPLE_RATIO: "1",
    });
    const bridgeEnv = {
      LANGTIAN_BRIDGE_PORT: "0",
      LANGTIAN_BRIDGE_LOG_LEVEL: "info",
      LANGTIAN_BRIDGE_OPERATOR_TOKEN: OPERATOR_TOKEN,
      LANGTIAN_BRIDGE_NATS_URL: natsUrl,
      LANGTIAN_BRIDGE_NATS_STREAM: stream,
      LANGTIAN_BRIDGE_NATS_DURABLE: `bridge_${stream}`,
      LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: kafkaBootstrap,
      LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "2",
      LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: topic,
      LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: `${base}.dlq`,
    };
    // The explicit provision step (durable consumer, topics), run once as production does.
    await promisify(execFile)(process.execPath, [main("bridge"), "provision"], {
      env: { ...process.env, ...bridgeEnv },
      timeout: 120_000,
    });
    const bridge = await launch("bridge", main("bridge"), bridgeEnv);
    const lakeWriter = await launch("lake-writer", main("lake-writer"), {
      LANGTIAN_LAKE_WRITER_PORT: "0",
      LANGTIAN_LAKE_WRITER_LOG_LEVEL: "info",
      LANGTIAN_LAKE_WRITER_OPERATOR_TOKEN: OPERATOR_TOKEN,
      LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: kafkaBootstrap,
      LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: topic,
      LANGTIAN_LAKE_WRITER_KAFKA_GROUP_ID: `lake-writer-${base}`,
      LANGTIAN_LAKE_WRITER_LAKE_EXTENSION_DIR: extensions.extensionDirectory,
      LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "sqlite",
      LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: lake.catalogPath,
      LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: lake.dataPath,
      LANGTIAN_LAKE_WRITER_MAINTENANCE_INTERVAL_MS: "0",
    });
    const queryApi = await launch("query-api", main("query-api"), {
      LANGTIAN_QUERY_API_PORT: "0",
      LANGTIAN_QUERY_API_LOG_LEVEL: "info",
      LANGTIAN_QUERY_API_OPERATOR_TOKEN: OPERATOR_TOKEN,
      LANGTIAN_QUERY_API_LAKE_CATALOG: "sqlite",
      LANGTIAN_QUERY_API_LAKE_CATALOG_PATH: lake.catalogPath,
      LANGTIAN_QUERY_API_LAKE_DATA_PATH: lake.dataPath,
      LANGTIAN_QUERY_API_LAKE_EXTENSION_DIR: extensions.extensionDirectory,
      LANGTIAN_QUERY_API_SANDBOX_TEMP_DIR: join(dir, "query-tmp"),
    });
    const adminConfig = join(dir, "admin.json");
    writeFileSync(
      adminConfig,
      JSON.stringify({
        port: 0,
        logLevel: "info",
        deployment: {
          instances: [
            `collector-1=collector@${collector.url}`,
            `bridge-1=bridge@${bridge.url}`,
            `lake-writer-1=lake-writer@${lakeWriter.url}`,
            `query-api-1=query-api@${queryApi.url}`,
          ],
        },
        nats: { url: natsUrl, streams: [stream] },
        kafka: { bootstrap: [kafkaBootstrap], topics: [topic] },
        lake: { catalog: "sqlite", ...lake, extensionDir: extensions.extensionDirectory },
      }),
    );
    const admin = await launch("admin", main("admin"), {
      LANGTIAN_ADMIN_CONFIG_FILE: adminConfig,
      LANGTIAN_ADMIN_OPERATOR_TOKEN: OPERATOR_TOKEN,
      LANGTIAN_ADMIN_INSTANCE_OPERATOR_TOKEN: OPERATOR_TOKEN,
    });
    const jobs = new Map<string, NodeService>([
      ["langtian-collector", collector],
      ["langtian-bridge", bridge],
      ["langtian-lake-writer", lakeWriter],
      ["langtian-query-api", queryApi],
      ["langtian-admin", admin],
    ]);
    return {
      collector,
      bridge,
      lakeWriter,
      queryApi,
      admin,
      jobs,
      dir,
      send: (count, clockOffsetMs = 0) => sendJsonEvents(udpPort, count, clockOffsetMs),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A UDP port free right now (bound and released). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((ok) => socket.bind(0, "127.0.0.1", ok));
  const { port } = socket.address();
  await new Promise<void>((ok) => socket.close(() => ok()));
  return port;
}

/** Sends `count` small JSON telemetry events, one datagram each, stamped now + `clockOffsetMs`. */
async function sendJsonEvents(port: number, count: number, clockOffsetMs: number): Promise<void> {
  const socket = createSocket("udp4");
  try {
    for (let i = 0; i < count; i++) {
      const ts = new Date(Date.now() + clockOffsetMs).toISOString();
      const event = { device_id: `dev-${i % 5}`, ts, temperature: 20 + (i % 10) };
      await new Promise<void>((ok, fail) =>
        socket.send(JSON.stringify(event), port, "127.0.0.1", (err) => (err ? fail(err) : ok())),
      );
    }
  } finally {
    socket.close();
  }
}
