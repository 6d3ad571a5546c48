/**
 * The pipeline services `npm run stack` starts, in order, after its servers are ready. Each
 * is a child `node` process running its `main.ts`; its output is printed with a `[name]`
 * prefix. Add a service by adding an entry to {@link stackServices}; scripts/stack.ts needs
 * no change.
 */
import { dirname, join } from "node:path";
import { defaultDuckdbExtensionDir } from "../packages/provision/src/index.ts";
import { repoRoot } from "./lib/run.ts";
import { Topology } from "./lib/stack-args.ts";

/** Where the stack's lake is: its catalog and its data, as every lake user configures them. */
export interface StackLake {
  readonly catalog: "sqlite" | "postgres";
  /** The SQLite catalog file (catalog `sqlite`). */
  readonly catalogPath?: string;
  /** libpq DSN of the PostgreSQL catalog (catalog `postgres`). */
  readonly postgresDsn?: string;
  /** Folder or `s3://bucket/prefix/` of the Parquet files. */
  readonly dataPath: string;
  /** The S3 store of an `s3://` data path. */
  readonly s3?: {
    readonly endpoint: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly region: string;
    readonly useSsl: boolean;
    readonly urlStyle: "path" | "vhost";
  };
}

/** Where the stack's servers run, handed to each service to build its environment. */
export interface StackContext {
  /** Which shape the stack runs in. */
  topology: Topology;
  /** `nats://127.0.0.1:<port>` of every nats-server of the stack (JetStream on), comma-separated. */
  natsUrl: string;
  /** `127.0.0.1:<port>` of every Kafka broker, comma-separated; empty without Kafka (`--direct`). */
  kafkaBootstrap: string;
  /** The lake the writers write and the query API and the admin read. */
  lake: StackLake;
  /** This service's own persistent folder (created), e.g. for a spool. */
  dataDir: string;
  /** The stack's folder; another service's data is in `<stackDir>/<its name>`. */
  stackDir: string;
  /** This service's ports, by the role names of its `ports` entry, after overrides and clashes. */
  ports: Record<string, number>;
  /**
   * The operator token of this stack run: every service takes it as its `operatorToken` (and
   * the admin as `instanceOperatorToken`, to drain the others).
   */
  operatorToken: string;
  /**
   * Every stack instance started so far, this one included, as the admin's deployment model
   * spells them (`name=stage@http://127.0.0.1:port`).
   */
  instances: readonly string[];
}

/** One service of the stack. */
export interface StackService {
  /** Short name: the log prefix, the table row and the data subfolder. */
  name: string;
  /** Entry point, relative to the repository root, e.g. `services/collector/src/main.ts`. */
  script: string;
  /** Node flags the service runs with (as its production launch does, e.g. heap limits). */
  nodeFlags?: readonly string[];
  /**
   * Ports by role with their defaults, e.g. `{ http: 8080, udp: 5140 }`. Each can be set
   * with `LANGTIAN_STACK_<NAME>_<ROLE>_PORT`; a busy default moves to a free port.
   */
  ports?: Record<string, number>;
  /** Environment of the service process (added to the stack's own environment). */
  env: (stack: StackContext) => Record<string, string>;
  /** URL polled until it answers 2xx (e.g. the service's /readyz); without one, started counts as ready. */
  readyUrl?: (stack: StackContext) => string;
  /** What the table shows as its address, e.g. its API URL. */
  address?: (stack: StackContext) => string;
  /**
   * Its place in the admin's deployment model: instance {@link instance} of `stage`, at
   * `http://127.0.0.1:<ports.http>`. Absent for what has no RPC port (the device simulator).
   */
  stage?: "collector" | "bridge" | "lake-writer" | "query-api" | "admin";
  /** Its instance name in the deployment model; `<stage>-1` when absent. */
  instance?: string;
  /** Files written before it starts, by path (e.g. its config file). */
  files?: (stack: StackContext) => Record<string, string>;
}

/** The JetStream stream the collector publishes to and the bridge reads. */
export const STREAM = "EDA_EVENTS";
/** The Kafka topic the bridge writes and the lake writer reads. */
export const TOPIC = "eda.events";

/**
 * The environment of a lake user (`LANGTIAN_<SERVICE>_LAKE_*`): the catalog, the data path,
 * the S3 store of an `s3://` one and the provisioned DuckDB extensions.
 */
function lakeEnv(prefix: string, lake: StackLake): Record<string, string> {
  return {
    [`${prefix}_LAKE_CATALOG`]: lake.catalog,
    ...(lake.catalogPath !== undefined && { [`${prefix}_LAKE_CATALOG_PATH`]: lake.catalogPath }),
    ...(lake.postgresDsn !== undefined && { [`${prefix}_LAKE_POSTGRES_DSN`]: lake.postgresDsn }),
    [`${prefix}_LAKE_DATA_PATH`]: lake.dataPath,
    ...(lake.s3 && {
      [`${prefix}_LAKE_S3_ENDPOINT`]: lake.s3.endpoint,
      [`${prefix}_LAKE_S3_ACCESS_KEY_ID`]: lake.s3.accessKeyId,
      [`${prefix}_LAKE_S3_SECRET_ACCESS_KEY`]: lake.s3.secretAccessKey,
      [`${prefix}_LAKE_S3_REGION`]: lake.s3.region,
      [`${prefix}_LAKE_S3_USE_SSL`]: String(lake.s3.useSsl),
      [`${prefix}_LAKE_S3_URL_STYLE`]: lake.s3.urlStyle,
    }),
    // Filled by the stack's provision step; the services themselves never fetch them.
    [`${prefix}_LAKE_EXTENSION_DIR`]: defaultDuckdbExtensionDir(),
  };
}

/** The lake as the table shows it: its catalog and files, and the local folder holding them. */
export function describeLake(lake: StackLake): { address: string; data: string } {
  if (lake.catalog === "postgres") {
    return { address: `postgres catalog, Parquet files in ${lake.dataPath}`, data: "" };
  }
  return { address: "sqlite catalog, Parquet files on local disk", data: dirname(lake.dataPath) };
}

/**
 * The lake of the default and `--direct` stacks: a SQLite catalog and Parquet files under the
 * lake writer's data folder (SQLite, so the query API and the admin can read the lake while
 * the one writer writes it).
 */
export function localLake(stackDir: string): StackLake {
  const dir = join(stackDir, "lake-writer", "lake");
  return { catalog: "sqlite", catalogPath: join(dir, "catalog.sqlite"), dataPath: join(dir, "data") };
}

/** The instance name of a service in the admin's deployment model. */
export function instanceName(service: StackService): string | undefined {
  return service.stage === undefined ? undefined : (service.instance ?? `${service.stage}-1`);
}

/**
 * The services of `topology`, started in this order and stopped in reverse:
 * - default: collector, bridge, device simulator, lake writer (Kafka), query API, admin;
 * - `--direct`: the same without the bridge, the lake writer reading JetStream;
 * - `--ha`: two bridges and two lake writers (`bridge-1`, `bridge-2`, ...), the stream and
 *   the topic replicated on 3 nodes.
 */
export function stackServices(topology: Topology): StackService[] {
  const ha = topology === Topology.ha;
  // The device simulator sends to the collector's UDP port, which is only known once the
  // collector's ports are resolved (a busy default moves); the collector entry records it here.
  let collectorFramePort = 7402;

  /** The collector: JSON datagrams on `udp`, device frames on `frames`, push API on `http`. */
  const collector: StackService = {
    name: "collector",
    script: "services/collector/src/main.ts",
    ports: { http: 4101, udp: 7401, frames: 7402 },
    stage: "collector",
    env: (stack) => {
      collectorFramePort = stack.ports.frames ?? collectorFramePort;
      return {
        LANGTIAN_COLLECTOR_PORT: String(stack.ports.http),
        LANGTIAN_COLLECTOR_OPERATOR_TOKEN: stack.operatorToken,
        LANGTIAN_COLLECTOR_NATS_URL: stack.natsUrl,
        LANGTIAN_COLLECTOR_SPOOL_DIR: `${stack.dataDir}/spool`,
        LANGTIAN_COLLECTOR_UDP_LISTENERS: [
          `udp://127.0.0.1:${stack.ports.udp}?decoder=json&event_type=device.telemetry&source_system=stack&name=json`,
          `udp://127.0.0.1:${stack.ports.frames}?decoder=device-frame&event_type=device.telemetry&source_system=stack&name=frames`,
        ].join(","),
        // R3 on the 3-node cluster: the stream survives the loss of any one node.
        ...(ha && { LANGTIAN_COLLECTOR_STREAM_REPLICAS: "3" }),
      };
    },
    readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/readyz`,
    address: (stack) => `http://127.0.0.1:${stack.ports.http} udp:${stack.ports.udp},${stack.ports.frames}`,
  };

  /**
   * A few simulated devices feeding the collector with device frames (10 per second). Their
   * sequence numbers go on from the clock (`--start-sequence clock`): event ids are made from
   * device and sequence, so a stack started again must not send the first run's numbers.
   */
  const deviceSimulator: StackService = {
    name: "device-simulator",
    script: "services/collector/src/simulator/main.ts",
    env: () => ({
      LANGTIAN_SIMULATOR_ARGS: `--target 127.0.0.1:${collectorFramePort} --format device-frame --rate 10 --count 600 --devices 5 --start-sequence clock --forever`,
    }),
  };

  /**
   * A bridge: JetStream stream `EDA_EVENTS` (made by the collector) to Kafka topic
   * `eda.events`. Its script runs the explicit `provision` step (durable consumer, topics)
   * before the instance; several bridges share the durable consumer.
   */
  const bridge = (name: string, instance: number, port: number): StackService => ({
    name,
    script: "services/bridge/src/provision-and-run.ts",
    ports: { http: port },
    stage: "bridge",
    instance: `bridge-${instance}`,
    env: (stack) => ({
      LANGTIAN_BRIDGE_PORT: String(stack.ports.http),
      LANGTIAN_BRIDGE_OPERATOR_TOKEN: stack.operatorToken,
      LANGTIAN_BRIDGE_NATS_URL: stack.natsUrl,
      LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: stack.kafkaBootstrap,
      LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "3",
      // On 3 brokers: every record on 3, acknowledged once 2 have it (one broker may be down).
      ...(ha && {
        LANGTIAN_BRIDGE_INSTANCE_ID: `bridge-${instance}`,
        LANGTIAN_BRIDGE_KAFKA_REPLICATION_FACTOR: "3",
        LANGTIAN_BRIDGE_KAFKA_MIN_INSYNC_REPLICAS: "2",
      }),
    }),
    readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/readyz`,
    address: (stack) => `http://127.0.0.1:${stack.ports.http}`,
  });

  /**
   * A lake writer: Kafka topic `eda.events` (or, `--direct`, the JetStream stream itself) into
   * the stack's lake. Several writers share the Kafka consumer group and the catalog.
   */
  const lakeWriter = (name: string, instance: number, port: number): StackService => ({
    name,
    script: "services/lake-writer/src/main.ts",
    // A bounded heap (see the lake writer's README, "Memory"): V8 then collects the batches'
    // promoted garbage early instead of letting the heap grow to several times what is live.
    nodeFlags: ["--max-old-space-size=256", "--max-semi-space-size=4"],
    ports: { http: port },
    stage: "lake-writer",
    instance: `lake-writer-${instance}`,
    env: (stack) => ({
      LANGTIAN_LAKE_WRITER_PORT: String(stack.ports.http),
      LANGTIAN_LAKE_WRITER_OPERATOR_TOKEN: stack.operatorToken,
      ...(topology === Topology.direct
        ? {
            LANGTIAN_LAKE_WRITER_SOURCE: "jetstream",
            LANGTIAN_LAKE_WRITER_JETSTREAM_URL: stack.natsUrl,
            LANGTIAN_LAKE_WRITER_JETSTREAM_STREAM: STREAM,
          }
        : {
            LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: stack.kafkaBootstrap,
            LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: TOPIC,
          }),
      ...(ha && { LANGTIAN_LAKE_WRITER_INSTANCE_ID: `lake-writer-${instance}` }),
      ...lakeEnv("LANGTIAN_LAKE_WRITER", stack.lake),
    }),
    // /healthz, not /readyz: the writer is not ready until the bridge has created its topic.
    readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/healthz`,
    address: (stack) => `http://127.0.0.1:${stack.ports.http}`,
  });

  /**
   * The query API on the stack's lake, attached read-only while the writers write. Started
   * after the writers, which create the catalog. Loopback without keys, as a local stack
   * needs no more.
   */
  const queryApi: StackService = {
    name: "query-api",
    script: "services/query-api/src/main.ts",
    ports: { http: 4104 },
    stage: "query-api",
    env: (stack) => ({
      LANGTIAN_QUERY_API_PORT: String(stack.ports.http),
      LANGTIAN_QUERY_API_OPERATOR_TOKEN: stack.operatorToken,
      ...lakeEnv("LANGTIAN_QUERY_API", stack.lake),
      LANGTIAN_QUERY_API_SANDBOX_TEMP_DIR: join(stack.dataDir, "tmp"),
    }),
    // Ready once the lake is attached and answers (its "lake" health check).
    readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/readyz`,
    address: (stack) => `http://127.0.0.1:${stack.ports.http} (Connect, gRPC, gRPC-Web)`,
  };

  /** Where the stack writes the admin's deployment model. */
  const adminConfigFile = (stack: StackContext) => join(stack.dataDir, "admin.json");

  /**
   * The admin service, started last: its config file is the deployment model of what the
   * stack started (every instance at its real port, the stream, the topic, the lake), written
   * for this run. Secrets (the tokens, an S3 secret key) come from the environment, so the
   * file holds none. Its QueryService proxy (what the web UI queries the lake with) goes to
   * the query API the model lists; the stack's query API has no keys and listens on
   * loopback, so the admin needs no `queryApi.key`.
   */
  const admin: StackService = {
    name: "admin",
    script: "services/admin/src/main.ts",
    ports: { http: 4105 },
    stage: "admin",
    files: (stack) => {
      const { s3, ...lake } = stack.lake;
      const { secretAccessKey: _secret, ...s3WithoutSecret } = s3 ?? { secretAccessKey: "" };
      return {
        [adminConfigFile(stack)]: `${JSON.stringify(
          {
            port: stack.ports.http,
            deployment: { instances: stack.instances },
            nats: { url: stack.natsUrl, streams: [STREAM] },
            // --direct: no Kafka, so no topic and no bridge dead letters to show.
            kafka:
              stack.kafkaBootstrap === ""
                ? { bootstrap: [], topics: [] }
                : { bootstrap: stack.kafkaBootstrap.split(","), topics: [TOPIC] },
            ...(stack.kafkaBootstrap === "" && { deadLetters: { bridgeTopic: "" } }),
            // On the 3-node cluster the admin's own stream and bucket are replicated too.
            ...(ha && { audit: { replicas: 3 }, connectorConfig: { replicas: 3 } }),
            lake: {
              ...lake,
              ...(s3 && { s3: s3WithoutSecret }),
              extensionDir: defaultDuckdbExtensionDir(),
            },
            // The web UI, built by the stack before it starts anything.
            web: { dir: join(repoRoot, "web", "dist") },
          },
          null,
          2,
        )}\n`,
      };
    },
    env: (stack) => ({
      LANGTIAN_ADMIN_CONFIG_FILE: adminConfigFile(stack),
      LANGTIAN_ADMIN_OPERATOR_TOKEN: stack.operatorToken,
      LANGTIAN_ADMIN_INSTANCE_OPERATOR_TOKEN: stack.operatorToken,
      ...(stack.lake.s3 && { LANGTIAN_ADMIN_LAKE_S3_SECRET_ACCESS_KEY: stack.lake.s3.secretAccessKey }),
    }),
    readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/readyz`,
    address: (stack) => `http://127.0.0.1:${stack.ports.http} (config ${adminConfigFile(stack)})`,
  };

  switch (topology) {
    case Topology.direct:
      return [collector, deviceSimulator, lakeWriter("lake-writer", 1, 4103), queryApi, admin];
    case Topology.ha:
      return [
        collector,
        bridge("bridge-1", 1, 4102),
        bridge("bridge-2", 2, 4112),
        deviceSimulator,
        lakeWriter("lake-writer-1", 1, 4103),
        lakeWriter("lake-writer-2", 2, 4113),
        queryApi,
        admin,
      ];
    default:
      return [
        collector,
        bridge("bridge", 1, 4102),
        deviceSimulator,
        lakeWriter("lake-writer", 1, 4103),
        queryApi,
        admin,
      ];
  }
}
