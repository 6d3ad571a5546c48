import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  canBindUdp,
  freePort,
  type KafkaCluster,
  type NatsServer,
  startKafka,
  startNats,
  startNatsCluster,
  tempDir,
  uniqueName,
} from "@langtian/testing";
import { type SupervisedService, type SupervisedSpec, superviseService } from "./supervised-service.ts";
import type { Timeline } from "./timeline.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const scripts = {
  collector: join(repoRoot, "services/collector/src/main.ts"),
  bridge: join(repoRoot, "services/bridge/src/main.ts"),
  lakeWriter: join(repoRoot, "services/lake-writer/src/main.ts"),
};

/** The lake's event table the device frames land in (`device.telemetry` 1.x). */
export const TELEMETRY_TABLE = "device_telemetry_v1";

/** The operator token every service of the pipeline takes (drains through the admin need it). */
export const E2E_OPERATOR_TOKEN = "e2e-operator-token-0123456789";

/** Which way events take from JetStream to the lake. */
export type PipelineSource =
  | { kind: "kafka"; bridges: number; lakeWriters: number; partitions: number }
  | { kind: "jetstream"; lakeWriters: number };

/**
 * How many servers the pipeline runs on. The default is one nats-server and one Kafka broker;
 * `{ natsNodes: 3, kafkaBrokers: 3 }` is the `--ha` topology: a 3-node NATS cluster with the
 * stream at 3 replicas, and 3 brokers with topics at replication factor 3, min.insync.replicas 2.
 */
export interface PipelineTopology {
  readonly natsNodes?: 1 | 3;
  readonly kafkaBrokers?: 1 | 3;
}

/** The `--ha` topology: 3 NATS nodes (stream R3), 3 Kafka brokers (replication 3, min ISR 2). */
export const HA_TOPOLOGY = { natsNodes: 3, kafkaBrokers: 3 } as const satisfies PipelineTopology;

/** What else the pipeline's services are given. */
export interface PipelineOptions {
  /** Environment of every service (names are per service: `LANGTIAN_<SERVICE>_…`). */
  readonly serviceEnv?: Readonly<Record<string, string>>;
}

/** A whole pipeline on dedicated servers, every service a child process from its `main.ts`. */
export interface Pipeline {
  /** The first NATS node (the only one on a single server). */
  readonly nats: NatsServer;
  /** Every NATS node, in start order (one on a single server). */
  readonly natsNodes: readonly NatsServer[];
  /** Every node's client URL, comma-separated, as the services and clients take them. */
  readonly natsUrl: string;
  /** Present with the Kafka source. */
  readonly kafka: KafkaCluster | undefined;
  readonly collector: SupervisedService;
  readonly bridges: SupervisedService[];
  readonly lakeWriters: SupervisedService[];
  /** UDP port of the collector's device-frame listener. */
  readonly udpPort: number;
  readonly names: {
    readonly stream: string;
    readonly durable: string;
    readonly topic: string;
    readonly deadLetterTopic: string;
  };
  readonly lake: { readonly catalogPath: string; readonly dataPath: string };
  /** Every service, in start order. */
  services(): SupervisedService[];
  /** Stops services in reverse start order, then the servers (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts nats-server (and Kafka for the Kafka source) on free ports with their own data
 * folders, the collector (device frames on a UDP port; it creates the stream), the bridge's
 * provision step and its instances, and the lake writers on one DuckLake with a SQLite
 * catalog (several processes can share it; a DuckDB-file catalog admits one) and a local data
 * folder. Lake writers start one after another, so they do not race to create the tables.
 * `topology` picks a NATS cluster and several brokers (see {@link PipelineTopology}).
 *
 * The `--ha` topology keeps the SQLite catalog too: it admits several writers on one host,
 * which is what these tests run, and every reader here (the progress probe, the final count,
 * the admin of the rolling upgrade) opens it without another server; a PostgreSQL catalog
 * would add a server process competing for the same two cores and prove nothing more about
 * exactly-once, which rests on DuckLake's transactions whatever the catalog.
 */
export async function startPipeline(
  source: PipelineSource,
  timeline: Timeline,
  topology: PipelineTopology = {},
  options: PipelineOptions = {},
): Promise<Pipeline> {
  const serviceEnv = options.serviceEnv ?? {};
  const root = tempDir("e2e-chaos");
  const base = uniqueName("chaos");
  const names = {
    stream: base.toUpperCase(),
    durable: `bridge_${base}`,
    topic: `${base}.events`,
    deadLetterTopic: `${base}.dlq`,
  };
  const lake = { catalogPath: join(root, "lake", "catalog.sqlite"), dataPath: join(root, "lake", "data") };
  const brokers = topology.kafkaBrokers ?? 1;
  const [natsNodes, kafka] = await Promise.all([
    (topology.natsNodes ?? 1) === 3
      ? startNatsCluster({ dataDir: join(root, "nats") }).then((cluster) => cluster.servers)
      : startNats({ dataDir: join(root, "nats") }).then((node) => [node]),
    source.kind === "kafka"
      ? startKafka({ dataDir: join(root, "kafka"), brokers })
      : Promise.resolve(undefined),
  ]);
  const [nats] = natsNodes;
  if (!nats) throw new Error("no NATS node started");
  const natsUrl = natsNodes.map((n) => n.url).join(",");
  timeline.log(`nats-server ${natsUrl}${kafka ? `, kafka ${kafka.bootstrap}` : ""}; data in ${root}`);

  const started: SupervisedService[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const service of [...started].reverse()) await service.stop().catch(() => undefined);
      await Promise.all([...natsNodes.map((n) => n.stop()), kafka?.stop()]);
    })();
    return stopping;
  };
  const launch = async (spec: SupervisedSpec): Promise<SupervisedService> => {
    const service = superviseService(spec, timeline);
    started.push(service);
    await service.start();
    timeline.log(`${service.name} up at ${service.current()?.url}`);
    return service;
  };
  try {
    const udpPort = await freeUdpPort();
    const collector = await launch({
      name: "collector",
      script: scripts.collector,
      logFile: join(root, "collector.log"),
      env: {
        LANGTIAN_COLLECTOR_PORT: "0",
        // Its drain is an operator's call (a fault step drains it through `LifecycleService`).
        LANGTIAN_COLLECTOR_OPERATOR_TOKEN: E2E_OPERATOR_TOKEN,
        LANGTIAN_COLLECTOR_NATS_URL: natsUrl,
        LANGTIAN_COLLECTOR_STREAM_NAME: names.stream,
        // One replica per node: on the cluster the stream survives the loss of any one of them.
        LANGTIAN_COLLECTOR_STREAM_REPLICAS: String(natsNodes.length),
        LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX: `e2e.${base}`,
        LANGTIAN_COLLECTOR_SPOOL_DIR: join(root, "collector-spool"),
        LANGTIAN_COLLECTOR_UDP_LISTENERS: `udp://127.0.0.1:${udpPort}?decoder=device-frame&event_type=device.telemetry&source_system=e2e&name=frames`,
        ...serviceEnv,
      },
    });
    // The writer reads its DuckDB extension files and never fetches them: provision first.
    const extensions = await provisionDuckdbExtensions();
    const lakeEnv: Record<string, string> = {
      LANGTIAN_LAKE_WRITER_PORT: "0",
      LANGTIAN_LAKE_WRITER_OPERATOR_TOKEN: E2E_OPERATOR_TOKEN,
      LANGTIAN_LAKE_WRITER_LAKE_EXTENSION_DIR: extensions.extensionDirectory,
      LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "sqlite",
      LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: lake.catalogPath,
      LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: lake.dataPath,
      LANGTIAN_LAKE_WRITER_MAINTENANCE_INTERVAL_MS: "0",
      ...serviceEnv,
    };
    const bridges: SupervisedService[] = [];
    if (source.kind === "kafka" && kafka) {
      const bridgeEnv: Record<string, string> = {
        LANGTIAN_BRIDGE_PORT: "0",
        LANGTIAN_BRIDGE_OPERATOR_TOKEN: E2E_OPERATOR_TOKEN,
        LANGTIAN_BRIDGE_NATS_URL: natsUrl,
        LANGTIAN_BRIDGE_NATS_STREAM: names.stream,
        LANGTIAN_BRIDGE_NATS_DURABLE: names.durable,
        // A killed instance's unacked messages come back after AckWait: keep the run short.
        LANGTIAN_BRIDGE_NATS_ACK_WAIT_MS: "10000",
        LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: kafka.bootstrap,
        LANGTIAN_BRIDGE_KAFKA_PARTITIONS: String(source.partitions),
        // Every broker holds a copy and a write needs two of them (one when there is one broker),
        // so a broker restarting loses nothing confirmed and stops no write.
        LANGTIAN_BRIDGE_KAFKA_REPLICATION_FACTOR: String(brokers),
        LANGTIAN_BRIDGE_KAFKA_MIN_INSYNC_REPLICAS: String(Math.min(2, brokers)),
        LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: names.topic,
        LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: names.deadLetterTopic,
        LANGTIAN_BRIDGE_PIPELINE_BACKOFF_INITIAL_MS: "100",
        LANGTIAN_BRIDGE_PIPELINE_BACKOFF_MAX_MS: "1000",
        ...serviceEnv,
      };
      // The explicit provision step (durable consumer, topics), run once as production does.
      const { stdout } = await promisify(execFile)(process.execPath, [scripts.bridge, "provision"], {
        env: { ...process.env, ...bridgeEnv },
        timeout: 120_000,
      });
      timeline.log(`bridge provision: ${stdout.trim().split("\n").at(-1)}`);
      for (let i = 0; i < source.bridges; i++) {
        bridges.push(
          await launch({
            name: `bridge-${i}`,
            script: scripts.bridge,
            logFile: join(root, `bridge-${i}.log`),
            env: bridgeEnv,
          }),
        );
      }
      Object.assign(lakeEnv, {
        LANGTIAN_LAKE_WRITER_SOURCE: "kafka",
        LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: kafka.bootstrap,
        LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: names.topic,
        LANGTIAN_LAKE_WRITER_KAFKA_GROUP_ID: `lake_${base}`,
        LANGTIAN_LAKE_WRITER_KAFKA_SESSION_TIMEOUT_MS: "6000",
      });
    } else {
      Object.assign(lakeEnv, {
        LANGTIAN_LAKE_WRITER_SOURCE: "jetstream",
        LANGTIAN_LAKE_WRITER_JETSTREAM_URL: natsUrl,
        LANGTIAN_LAKE_WRITER_JETSTREAM_STREAM: names.stream,
      });
    }
    const lakeWriters: SupervisedService[] = [];
    for (let i = 0; i < source.lakeWriters; i++) {
      lakeWriters.push(
        await launch({
          name: `lake-writer-${i}`,
          script: scripts.lakeWriter,
          logFile: join(root, `lake-writer-${i}.log`),
          // Static membership: a restarted instance takes its partitions back at once.
          env: { ...lakeEnv, LANGTIAN_LAKE_WRITER_KAFKA_GROUP_INSTANCE_ID: `lake-writer-${i}` },
        }),
      );
    }
    return {
      nats,
      natsNodes,
      natsUrl,
      kafka,
      collector,
      bridges,
      lakeWriters,
      udpPort,
      names,
      lake,
      services: () => [...started],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A port free for UDP and TCP on 127.0.0.1 right now. */
async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (await canBindUdp(port)) return port;
  }
}
