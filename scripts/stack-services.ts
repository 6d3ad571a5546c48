/**
 * The pipeline services `npm run stack` starts, in order, after nats-server and Kafka are
 * ready. Each is a child `node` process running its `main.ts`; its output is printed with a
 * `[name]` prefix. Add a service by adding an entry here; scripts/stack.ts needs no change.
 */
import { join } from "node:path";
import { defaultDuckdbExtensionDir } from "../packages/provision/src/index.ts";
import { repoRoot } from "./lib/run.ts";

/** Where the stack's servers run, handed to each service to build its environment. */
export interface StackContext {
  /** `nats://127.0.0.1:<port>` of the stack's nats-server (JetStream on). */
  natsUrl: string;
  /** `127.0.0.1:<port>` of the stack's Kafka broker. */
  kafkaBootstrap: string;
  /** This service's own persistent folder (created), e.g. for a lake or a catalog. */
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
   * Its place in the admin's deployment model: instance `<stage>-1` of `stage`, at
   * `http://127.0.0.1:<ports.http>`. Absent for what has no RPC port (the device simulator).
   */
  stage?: "collector" | "bridge" | "lake-writer" | "query-api" | "admin";
  /** Files written before it starts, by path (e.g. its config file). */
  files?: (stack: StackContext) => Record<string, string>;
}

/** The JetStream stream the collector publishes to and the bridge reads. */
const STREAM = "EDA_EVENTS";
/** The Kafka topic the bridge writes and the lake writer reads. */
const TOPIC = "eda.events";

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
    };
  },
  readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/readyz`,
  address: (stack) => `http://127.0.0.1:${stack.ports.http} udp:${stack.ports.udp},${stack.ports.frames}`,
};

/** A few simulated devices feeding the collector with device frames (10 per second). */
const deviceSimulator: StackService = {
  name: "device-simulator",
  script: "services/collector/src/simulator/main.ts",
  env: () => ({
    LANGTIAN_SIMULATOR_ARGS: `--target 127.0.0.1:${collectorFramePort} --format device-frame --rate 10 --count 600 --devices 5 --forever`,
  }),
};

/**
 * The bridge: JetStream stream `EDA_EVENTS` (made by the collector) to Kafka topic `eda.events`.
 * Its script runs the explicit `provision` step (durable consumer, topics) before the instance.
 */
const bridge: StackService = {
  name: "bridge",
  script: "services/bridge/src/provision-and-run.ts",
  ports: { http: 4102 },
  stage: "bridge",
  env: (stack) => ({
    LANGTIAN_BRIDGE_PORT: String(stack.ports.http),
    LANGTIAN_BRIDGE_OPERATOR_TOKEN: stack.operatorToken,
    LANGTIAN_BRIDGE_NATS_URL: stack.natsUrl,
    LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: stack.kafkaBootstrap,
    LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "3",
  }),
  readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/readyz`,
  address: (stack) => `http://127.0.0.1:${stack.ports.http}`,
};

/** The stack's lake: the lake writer's, under its data folder; the query API reads it. */
function lakeDir(stack: StackContext): string {
  return join(stack.stackDir, "lake-writer", "lake");
}

/**
 * The lake writer: Kafka topic `eda.events` into a DuckLake with a SQLite catalog under the
 * stack's data dir (SQLite, so the query API can read the lake while the writer writes it).
 */
const lakeWriter: StackService = {
  name: "lake-writer",
  script: "services/lake-writer/src/main.ts",
  // A bounded heap (see the lake writer's README, "Memory"): V8 then collects the batches'
  // promoted garbage early instead of letting the heap grow to several times what is live.
  nodeFlags: ["--max-old-space-size=256", "--max-semi-space-size=4"],
  ports: { http: 4103 },
  stage: "lake-writer",
  env: (stack) => ({
    LANGTIAN_LAKE_WRITER_PORT: String(stack.ports.http),
    LANGTIAN_LAKE_WRITER_OPERATOR_TOKEN: stack.operatorToken,
    LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: stack.kafkaBootstrap,
    LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: TOPIC,
    LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "sqlite",
    LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: join(lakeDir(stack), "catalog.sqlite"),
    LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: join(lakeDir(stack), "data"),
    // Filled by the stack's provision step; the lake writer itself never fetches them.
    LANGTIAN_LAKE_WRITER_LAKE_EXTENSION_DIR: defaultDuckdbExtensionDir(),
  }),
  // /healthz, not /readyz: the writer is not ready until the bridge has created its topic.
  readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/healthz`,
  address: (stack) => `http://127.0.0.1:${stack.ports.http} lake ${lakeDir(stack)}`,
};

/**
 * The query API on the lake writer's lake: the same SQLite catalog and data folder, attached
 * read-only while the writer writes. Started after the writer, which creates the catalog.
 * Loopback without keys, as a local stack needs no more.
 */
const queryApi: StackService = {
  name: "query-api",
  script: "services/query-api/src/main.ts",
  ports: { http: 4104 },
  stage: "query-api",
  env: (stack) => ({
    LANGTIAN_QUERY_API_PORT: String(stack.ports.http),
    LANGTIAN_QUERY_API_OPERATOR_TOKEN: stack.operatorToken,
    LANGTIAN_QUERY_API_LAKE_CATALOG: "sqlite",
    LANGTIAN_QUERY_API_LAKE_CATALOG_PATH: join(lakeDir(stack), "catalog.sqlite"),
    LANGTIAN_QUERY_API_LAKE_DATA_PATH: join(lakeDir(stack), "data"),
    LANGTIAN_QUERY_API_LAKE_EXTENSION_DIR: defaultDuckdbExtensionDir(),
    LANGTIAN_QUERY_API_SANDBOX_TEMP_DIR: join(stack.dataDir, "tmp"),
  }),
  // Ready once the lake is attached and answers (its "lake" health check).
  readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/readyz`,
  address: (stack) => `http://127.0.0.1:${stack.ports.http} (Connect, gRPC, gRPC-Web)`,
};

/** Where the stack writes the admin's deployment model. */
function adminConfigFile(stack: StackContext): string {
  return join(stack.dataDir, "admin.json");
}

/**
 * The admin service, started last: its config file is the deployment model of what the stack
 * started (every instance at its real port, the stream, the topic, the lake), written for this
 * run. The tokens come from the environment, so the file holds no secret. Its QueryService
 * proxy (what the web UI queries the lake with) goes to the query API the model lists; the
 * stack's query API has no keys and listens on loopback, so the admin needs no `queryApi.key`.
 */
const admin: StackService = {
  name: "admin",
  script: "services/admin/src/main.ts",
  ports: { http: 4105 },
  stage: "admin",
  files: (stack) => ({
    [adminConfigFile(stack)]: `${JSON.stringify(
      {
        port: stack.ports.http,
        deployment: { instances: stack.instances },
        nats: { url: stack.natsUrl, streams: [STREAM] },
        kafka: { bootstrap: [stack.kafkaBootstrap], topics: [TOPIC] },
        lake: {
          catalog: "sqlite",
          catalogPath: join(lakeDir(stack), "catalog.sqlite"),
          dataPath: join(lakeDir(stack), "data"),
          extensionDir: defaultDuckdbExtensionDir(),
        },
        // The web UI, built by the stack before it starts anything.
        web: { dir: join(repoRoot, "web", "dist") },
      },
      null,
      2,
    )}\n`,
  }),
  env: (stack) => ({
    LANGTIAN_ADMIN_CONFIG_FILE: adminConfigFile(stack),
    LANGTIAN_ADMIN_OPERATOR_TOKEN: stack.operatorToken,
    LANGTIAN_ADMIN_INSTANCE_OPERATOR_TOKEN: stack.operatorToken,
  }),
  readyUrl: (stack) => `http://127.0.0.1:${stack.ports.http}/readyz`,
  address: (stack) => `http://127.0.0.1:${stack.ports.http} (config ${adminConfigFile(stack)})`,
};

/** The services, started in this order and stopped in reverse. */
export const stackServices: StackService[] = [
  collector,
  bridge,
  deviceSimulator,
  lakeWriter,
  queryApi,
  admin,
];
