import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cacheRoot } from "../packages/provision/src/cache-root.mjs";
// No dependencies of its own: usable before node_modules exists.
import { canBindUdp, canListen, freePort } from "../packages/testing/src/launch/ports.ts";
import { ensureDependencies } from "./lib/dependencies.ts";
import { describePortOwner } from "./lib/port-owner.ts";
import { formatLogLine, LogFormat, resolveLogOutput } from "./lib/pretty-log.ts";
import { repoRoot, step } from "./lib/run.ts";
import { parseStackArgs, StackUsageError, stackUsage, Topology } from "./lib/stack-args.ts";
import type { StackContext, StackLake, StackService } from "./stack-services.ts";

// `npm run stack`: the whole pipeline on one machine, on embedded defaults. Starts
// nats-server (JetStream) and one Kafka broker with persistent data, then every service of
// stack-services.ts as a child `node` process; prints where everything runs and stays in the
// foreground until Ctrl+C, then shuts down in reverse order.
//
// Operators: every service gets the same operator token, made for this run and printed once
// (never written to a file); the admin, started last, gets a deployment model of what the stack
// started (`<stack dir>/admin/admin.json`, see stack-services.ts) and that token as its
// `instanceOperatorToken`, so `npm run langtian -- status|drain|audit` works against it.
//
// Topologies (lib/stack-args.ts): the default one above; `--direct`, JetStream straight into
// the lake (no Kafka, no bridge); `--ha`, a 3-node NATS cluster (stream R3), 3 Kafka brokers
// (topic replication 3, min.insync.replicas 2), 2 bridges, 2 lake writers on a PostgreSQL
// catalog (Debian's package) with the Parquet files on SeaweedFS S3, each server's data kept.
//
// Data lives in `<cacheRoot()>/stack/` (outside the work tree, so nothing to ignore in git),
// or `LANGTIAN_STACK_DIR`; `--ha` and `--direct` keep theirs in its `ha/` and `direct/`
// subfolders, so the topologies' data never mix (the default keeps the folder itself, where
// it always was). Ports: LANGTIAN_STACK_NATS_PORT (4222), LANGTIAN_STACK_NATS_MONITOR_PORT
// (8222), LANGTIAN_STACK_KAFKA_PORT (9092), LANGTIAN_STACK_KAFKA_CONTROLLER_PORT (9093), and
// for --ha the other nodes' (LANGTIAN_STACK_NATS_2_PORT ...), LANGTIAN_STACK_POSTGRES_PORT
// (5432), LANGTIAN_STACK_SEAWEEDFS_S3_PORT (8333). A busy default moves to a free port and
// says who holds it; a busy port chosen by its variable is an error naming its holder.
//
// Failures end with one paragraph and a hint, never a stack trace (`--verbose` or
// LANGTIAN_STACK_DEBUG=1 add it). Unknown flags are refused with the list of valid ones.
//
// `--smoke` (or LANGTIAN_STACK_SMOKE=1): start everything, wait until ready, prove NATS and
// Kafka with a round trip, read the events in the lake through the query API, see every
// instance ready in the admin, print the table, shut down cleanly and exit 0. Tests use it.
// `--hold` (with `--smoke`): after the smoke check, keep everything running until stdin ends,
// so a test can check the running stack from outside (e.g. `langtian status`), then shut down.
// `--no-install`: skip the npm dependency check; a test run already did it, and `npm ci`
// replacing node_modules under other running tests would break them.
// Logs: on a terminal each service's pino JSON line is printed as one readable line (time,
// coloured level, message, key=value fields; see lib/pretty-log.ts); JSON as the services write
// it when stdout is not a terminal, with `--json-logs`, or LANGTIAN_STACK_LOG_FORMAT=json
// (`=pretty` forces readable lines). NO_COLOR turns the colours off. The services' log files
// in their data folders always hold the JSON.

/** A failure the stack explains itself: its message and what to do about it. */
class StackError extends Error {
  override name = "StackError";
  /** What to do about it, printed after the message. */
  readonly hint: string;
  constructor(message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.hint = hint;
  }
}

let args: ReturnType<typeof parseStackArgs>;
try {
  args = parseStackArgs(process.argv.slice(2), process.env);
} catch (err) {
  process.stderr.write(
    `[stack] ${err instanceof Error ? err.message : String(err)}. npm run stack -- --help explains each.\n`,
  );
  process.exit(2);
}
if (args.help) {
  process.stdout.write(stackUsage());
  process.exit(0);
}
const { topology, smoke, hold } = args;
const logOutput = resolveLogOutput({
  argv: process.argv,
  env: process.env,
  isTTY: process.stdout.isTTY === true,
});
/**
 * The operator token of this run, shared by every service (and the admin's
 * `instanceOperatorToken`): new at each start, printed once, never written to a file.
 */
const operatorToken = randomBytes(24).toString("base64url");
/** The admin's deployment model, one `name=stage@url` per instance, in start order. */
const instances: string[] = [];
const stackRoot = resolve(process.env.LANGTIAN_STACK_DIR ?? join(cacheRoot(), "stack"));
/** This topology's data: the default keeps the root itself, where its data always was. */
const stackDir = topology === Topology.default ? stackRoot : join(stackRoot, topology);

/** Something the stack runs, for the table and for shutdown. */
interface Running {
  name: string;
  address: string;
  data: string;
  /** Absent for rows that only describe (e.g. the monitor port of a server). */
  stop?: () => Promise<void>;
}

const running: Running[] = [];
/** Each started service's context, by name (the smoke check calls the query API). */
const contexts = new Map<string, StackContext>();
/** Where the servers run, once started (the smoke check proves them). */
const servers = { natsUrl: "", kafkaBootstrap: "" };
let stopping: Promise<void> | undefined;

/** Stops everything in reverse start order; idempotent. */
function shutdown(): Promise<void> {
  stopping ??= (async () => {
    if (running.length === 0) return;
    for (const item of [...running].reverse()) {
      if (!item.stop) continue;
      log(`stopping ${item.name}`);
      await item.stop().catch((err: unknown) => log(`${item.name} did not stop cleanly: ${String(err)}`));
    }
    log("stopped");
  })();
  return stopping;
}

const signals: NodeJS.Signals[] =
  process.platform === "win32" ? ["SIGINT", "SIGBREAK", "SIGHUP"] : ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of signals) {
  process.on(signal, () => {
    if (stopping) {
      log(`second ${signal}: exiting now`);
      // The `exit` hook of packages/testing kills every server still running.
      process.exit(130);
    }
    log(`${signal}: shutting down (again to force)`);
    void shutdown().then(() => process.exit(0));
  });
}
// A failure outside the awaited path (a socket error of a probe) ends the stack the same way.
process.on("uncaughtException", (err) => void fail(err));
process.on("unhandledRejection", (err) => void fail(err));

// Imported only once dependencies are installed: these modules need node_modules.
let testing: typeof import("../packages/testing/src/index.ts");

try {
  // Ports chosen by variable first: a clash is found before minutes of provisioning and builds.
  await checkChosenPorts();
  // What the topology needs, installed in the background from now on: a cold start builds
  // nats-server and downloads Kafka while npm installs the dependencies and the UI builds.
  const { commandNeeds, startProvisioning } = await import("./tasks/provision.ts");
  const needs = commandNeeds[topologyCommand()];
  const provisioning = startProvisioning(needs);
  if (!args.noInstall) await step("dependencies", ensureDependencies);
  // The admin serves the web UI: a fresh build of it (a few seconds) for every stack run.
  await step("web UI", async () => (await import("./tasks/web.ts")).webBuild());
  await step("provision", () => provisionTools(() => provisioning.ready(...needs)));
  testing = await import("../packages/testing/src/index.ts");
  await start();
  printTable();
  printOperatorHints();
  if (smoke) {
    await smokeCheck();
    if (hold) {
      log("smoke: holding until stdin ends");
      process.stdin.resume();
      await new Promise((done) => process.stdin.once("end", done).once("close", done));
    }
    await shutdown();
    process.stdout.write("stack smoke check passed\n");
    process.exit(0);
  }
  log("running; press Ctrl+C to stop");
  // Stay in the foreground: signal handlers end the process.
  setInterval(() => {}, 1 << 30);
} catch (err) {
  await fail(err);
}

/**
 * Ends the stack after a failure: stops what runs, then one paragraph (what failed, and a hint)
 * without a stack trace unless `--verbose` / LANGTIAN_STACK_DEBUG=1 asked for one.
 */
async function fail(err: unknown): Promise<never> {
  if (stopping === undefined) await shutdown();
  else await stopping;
  const message = err instanceof Error ? err.message : String(err);
  // The first line says what failed; the rest (a server's log tail) is in its log file.
  const [first = "", ...rest] = message.split("\n");
  const hint =
    err instanceof StackError
      ? err.hint
      : err instanceof StackUsageError
        ? "npm run stack -- --help lists what it takes."
        : `Each server's and service's log is in its data folder under ${stackDir}; --verbose (or LANGTIAN_STACK_DEBUG=1) prints the whole error.`;
  process.stderr.write(`\n[stack] failed: ${first.replace(/[.:]\s*$/, "")}. ${hint}\n`);
  if (args.verbose) {
    if (rest.length > 0) process.stderr.write(`${rest.join("\n")}\n`);
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  }
  process.exit(1);
}

/** The command whose needs (scripts/tasks/provision.ts) this topology has. */
function topologyCommand(): "stack" | "stack-direct" | "stack-ha" {
  if (topology === Topology.direct) return "stack-direct";
  return topology === Topology.ha ? "stack-ha" : "stack";
}

/**
 * Waits for what this topology needs and nothing more (no Kafka for --direct; SeaweedFS and
 * PostgreSQL only for --ha), started in the background by `startProvisioning`; a failure
 * names each missing tool and how to get it.
 */
async function provisionTools(ready: () => Promise<void>): Promise<void> {
  await ready().catch((err: unknown) => {
    throw new StackError(
      `a tool the stack needs is not available: ${err instanceof Error ? err.message : String(err)}`,
      `\`npm run provision\` installs them into ${cacheRoot()}; check the network or the proxy settings if it cannot download.`,
      { cause: err },
    );
  });
  if (topology !== Topology.ha) return;
  const { postgresBinDir } = await import("../packages/testing/src/index.ts");
  await postgresBinDir().catch((err: unknown) => {
    throw new StackError(
      `PostgreSQL is not available: ${err instanceof Error ? err.message : String(err)}`,
      "--ha needs Debian's postgresql package (apt-get install postgresql, or run as root once and the stack installs it).",
      { cause: err },
    );
  });
}

async function start(): Promise<void> {
  mkdirSync(stackDir, { recursive: true });
  log(`topology: ${topology}; data in ${stackDir}`);
  if (topology === Topology.ha) await startHaServers();
  else await startSingleServers();
  const lake =
    topology === Topology.ha
      ? await startHaLake()
      : (await import("./stack-services.ts")).localLake(stackDir);
  const { stackServices, describeLake } = await import("./stack-services.ts");
  running.push({ name: "lake", ...describeLake(lake) });
  for (const service of stackServices(topology)) {
    await step(service.name, () => startService(service, lake));
  }
}

/** One nats-server and (unless --direct) one Kafka broker, as the stack always started them. */
async function startSingleServers(): Promise<void> {
  const natsPort = await port("NATS", 4222);
  const monitorPort = await port("NATS_MONITOR", 8222);
  const natsDir = join(stackDir, "nats");
  const nats = await step("nats-server", () =>
    testing.startNats({
      port: natsPort,
      dataDir: natsDir,
      serverName: "stack",
      extraConfig: `http: "127.0.0.1:${monitorPort}"\n`,
    }),
  );
  servers.natsUrl = nats.url;
  running.push({ name: "nats-server", address: nats.url, data: natsDir, stop: () => nats.stop() });
  running.push({ name: "nats monitor", address: `http://127.0.0.1:${monitorPort}`, data: "" });
  if (topology === Topology.direct) return;

  const kafkaDir = join(stackDir, "kafka");
  const kafka = await step("kafka", async () =>
    testing.startKafka({
      dataDir: kafkaDir,
      ports: [await port("KAFKA", 9092)],
      controllerPorts: [await port("KAFKA_CONTROLLER", 9093)],
      // A long-running broker: full JIT and G1, unlike the short-lived test brokers.
      jvmOptions: kafkaJvmOptions(["-Xms256m", "-Xmx1g", "-XX:+UseG1GC"]),
    }),
  );
  servers.kafkaBootstrap = kafka.bootstrap;
  running.push({ name: "kafka", address: kafka.bootstrap, data: kafkaDir, stop: () => kafka.stop() });
}

/** The brokers' JVM flags: LANGTIAN_STACK_KAFKA_JVM_OPTIONS (space-separated) when set. */
function kafkaJvmOptions(fallback: string[]): string[] {
  const fromEnv = process.env.LANGTIAN_STACK_KAFKA_JVM_OPTIONS?.trim();
  return fromEnv ? fromEnv.split(/\s+/) : fallback;
}

/** --ha: a 3-node NATS cluster and 3 Kafka brokers, each node with its own kept data folder. */
async function startHaServers(): Promise<void> {
  const nodes = [1, 2, 3];
  // Node 1 keeps the single server's variable names; nodes 2 and 3 add their number.
  const key = (base: string, node: number, suffix = "") => (node === 1 ? base : `${base}_${node}`) + suffix;
  const natsPorts: number[] = [];
  const routePorts: number[] = [];
  const monitorPorts: number[] = [];
  for (const n of nodes) {
    natsPorts.push(await port(key("NATS", n), 4221 + n));
    routePorts.push(await port(key("NATS", n, "_ROUTE"), 6221 + n));
    monitorPorts.push(await port(key("NATS", n, "_MONITOR"), 8221 + n));
  }
  const natsDir = join(stackDir, "nats");
  const cluster = await step("nats cluster (3 nodes)", () =>
    testing.startNatsCluster({
      dataDir: natsDir,
      ports: natsPorts,
      routePorts,
      extraConfig: (i) => `http: "127.0.0.1:${monitorPorts[i]}"\n`,
    }),
  );
  servers.natsUrl = cluster.urls.join(",");
  cluster.servers.forEach((server, i) => {
    running.push({
      name: `nats-server ${server.serverName}`,
      address: `${server.url} (monitor http://127.0.0.1:${monitorPorts[i]})`,
      data: join(natsDir, server.serverName),
      // Stopped together, last: one node stopping first would make the others elect again.
      ...(i === 0 && { stop: () => cluster.stop() }),
    });
  });

  const kafkaPorts: number[] = [];
  const controllerPorts: number[] = [];
  for (const n of nodes) {
    kafkaPorts.push(await port(key("KAFKA", n), 9090 + 2 * n));
    controllerPorts.push(await port(key("KAFKA", n, "_CONTROLLER"), 9091 + 2 * n));
  }
  const kafkaDir = join(stackDir, "kafka");
  const kafka = await step("kafka (3 brokers)", () =>
    testing.startKafka({
      brokers: 3,
      dataDir: kafkaDir,
      ports: kafkaPorts,
      controllerPorts,
      // Three long-running brokers on one machine: G1 and full JIT, half the default heap each.
      jvmOptions: kafkaJvmOptions(["-Xms128m", "-Xmx512m", "-XX:+UseG1GC"]),
    }),
  );
  servers.kafkaBootstrap = kafka.bootstrap;
  kafka.brokers.forEach((broker, i) => {
    running.push({
      name: `kafka broker ${broker.nodeId}`,
      address: broker.address,
      data: broker.dataDir,
      ...(i === 0 && { stop: () => kafka.stop() }),
    });
  });
}

/**
 * --ha's lake: a PostgreSQL catalog (several writers, from Debian's package) and the Parquet
 * files on SeaweedFS's S3 gateway, both with their data kept under the stack's folder.
 */
async function startHaLake(): Promise<StackLake> {
  const postgresDir = join(stackDir, "postgres");
  const postgresPort = await port("POSTGRES", 5432);
  const postgres = await step("postgres", () =>
    testing.startPostgres({ dir: postgresDir, port: postgresPort }).catch((err: unknown) => {
      if (err instanceof testing.PostgresDirError) {
        throw new StackError(
          err.message,
          "Set LANGTIAN_STACK_DIR to a folder every user can reach (e.g. /var/tmp/langtian-stack), or run the stack as a user other than root.",
          { cause: err },
        );
      }
      throw err;
    }),
  );
  running.push({
    name: "postgres",
    address: `127.0.0.1:${postgres.port} (catalog database lake)`,
    data: postgresDir,
    // pg_ctl's fast shutdown: a clean stop of the server and its backends.
    stop: () => postgres.pause(),
  });

  const { startSeaweedfs, seaweedfsPortNames } = await import(
    "../services/lake-writer/src/testing/start-seaweedfs.ts"
  );
  // SeaweedFS's own defaults, each moving when busy: the same ports at every start when free,
  // as its master remembers where its volume server was.
  const defaults = {
    master: 9333,
    masterGrpc: 19333,
    volume: 8380,
    volumeGrpc: 18380,
    filer: 8888,
    filerGrpc: 18888,
    s3: 8333,
    s3Grpc: 18333,
    iceberg: 8181,
    lance: 8182,
    admin: 23646,
    adminGrpc: 33646,
  };
  const ports = { ...defaults };
  for (const name of seaweedfsPortNames) {
    ports[name] = await port(`SEAWEEDFS_${name.replace(/[A-Z]/g, (c) => `_${c}`)}`, defaults[name]);
  }
  const seaweedfsDir = join(stackDir, "seaweedfs");
  const store = await step("seaweedfs (S3)", () => startSeaweedfs({ dir: seaweedfsDir, ports }));
  running.push({
    name: "seaweedfs s3",
    address: `http://${store.s3.endpoint} (bucket ${store.bucket})`,
    data: seaweedfsDir,
    stop: () => store.stop(),
  });
  return {
    catalog: "postgres",
    postgresDsn: postgres.dsn,
    dataPath: `s3://${store.bucket}/events/`,
    s3: store.s3,
  };
}

async function startService(service: StackService, lake: StackLake): Promise<void> {
  const { instanceName } = await import("./stack-services.ts");
  const dataDir = join(stackDir, service.name);
  mkdirSync(dataDir, { recursive: true });
  const ports: Record<string, number> = {};
  for (const [role, fallback] of Object.entries(service.ports ?? {})) {
    ports[role] = await port(`${service.name}_${role}`, fallback);
  }
  const instance = instanceName(service);
  if (instance !== undefined) {
    instances.push(`${instance}=${service.stage}@http://127.0.0.1:${ports.http}`);
  }
  const context: StackContext = {
    topology,
    natsUrl: servers.natsUrl,
    kafkaBootstrap: servers.kafkaBootstrap,
    lake,
    dataDir,
    stackDir,
    ports,
    operatorToken,
    instances: [...instances],
  };
  contexts.set(service.name, context);
  for (const [path, content] of Object.entries(service.files?.(context) ?? {})) {
    writeFileSync(path, content);
  }
  const prefix = `[${service.name}] `;
  const proc = testing.spawnServer({
    command: process.execPath,
    args: [...(service.nodeFlags ?? []), resolve(repoRoot, service.script)],
    cwd: repoRoot,
    env: { ...process.env, ...service.env(context) },
    logFile: join(dataDir, `${service.name}.log`),
    onLine: (line) =>
      process.stdout.write(
        logOutput.format === LogFormat.pretty
          ? `${formatLogLine(service.name, line, logOutput)}\n`
          : `${prefix}${line}\n`,
      ),
  });
  running.push({
    name: service.name,
    address: service.address?.(context) ?? "",
    data: dataDir,
    stop: async () => {
      await proc.stop(30_000);
    },
  });
  const readyUrl = service.readyUrl?.(context);
  const logFile = join(dataDir, `${service.name}.log`);
  if (readyUrl) {
    await testing
      .waitFor(async () => ((await fetch(readyUrl)).ok ? true : undefined), {
        what: `${service.name} at ${readyUrl}`,
        timeoutMs: 60_000,
        giveUpIf: () => (proc.isRunning() ? undefined : "the process exited"),
      })
      .catch((err: unknown) => {
        throw new StackError(
          `${service.name} did not become ready (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`,
          `Its log is ${logFile}; the lines above prefixed [${service.name}] say why.`,
          { cause: err },
        );
      });
  } else if (!proc.isRunning()) {
    throw new StackError(`${service.name} exited at startup`, `Its log is ${logFile}.`);
  }
}

/** Every `LANGTIAN_STACK_<KEY>_PORT` set: a number, and free (else the error names its holder). */
async function checkChosenPorts(): Promise<void> {
  for (const [variable, value] of Object.entries(process.env)) {
    const key = /^LANGTIAN_STACK_(.+)_PORT$/.exec(variable)?.[1];
    if (key !== undefined && value) await chosenPort(variable, value);
  }
}

/** The port `variable` chose: a number, and free for TCP and UDP, or a {@link StackError} saying why not. */
async function chosenPort(variable: string, value: string): Promise<number> {
  const chosen = Number(value);
  if (!Number.isInteger(chosen) || chosen <= 0 || chosen > 65535) {
    throw new StackError(
      `${variable}=${value} is no port`,
      `Set ${variable} to a number from 1 to 65535, or unset it for the default.`,
    );
  }
  if (!((await canListen(chosen)) && (await canBindUdp(chosen)))) {
    throw new StackError(
      `${variable}=${chosen} is in use (${await portHolder(chosen)})`,
      `Stop that process, choose another port in ${variable}, or unset it: a busy default port moves to a free one by itself.`,
    );
  }
  return chosen;
}

/** Who holds a busy port, for a message. */
async function portHolder(port: number): Promise<string> {
  return (await describePortOwner(port)) ?? "held by a process this user cannot see";
}

/**
 * The port for `key`: `LANGTIAN_STACK_<KEY>_PORT` when set (and then it must be free), else
 * the default when free, else any free port. "Free" means for TCP and UDP alike, since a
 * service's port role may be either (the collector listens for datagrams). A busy port is
 * reported with the process holding it, when it can be found.
 */
async function port(key: string, fallback: number): Promise<number> {
  const variable = `LANGTIAN_STACK_${key.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_PORT`;
  const fromEnv = process.env[variable];
  if (fromEnv) return chosenPort(variable, fromEnv);
  const isFree = async (p: number) => (await canListen(p)) && (await canBindUdp(p));
  if (await isFree(fallback)) return fallback;
  for (;;) {
    const free = await freePort();
    if (!(await canBindUdp(free))) continue;
    log(`port ${fallback} (${key.toLowerCase()}) is busy (${await portHolder(fallback)}); using ${free}`);
    return free;
  }
}

function printTable(): void {
  const rows = [["what", "address", "data"], ...running.map((r) => [r.name, r.address, r.data])];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join("   ")
      .trimEnd(),
  );
  process.stdout.write(`\nLangtian EDA stack (${topology})\n${lines.join("\n")}\n\n`);
}

/** How to reach the admin with the `langtian` CLI, and this run's operator token (printed once). */
function printOperatorHints(): void {
  const port = contexts.get("admin")?.ports.http;
  if (port === undefined) return;
  const url = `http://127.0.0.1:${port}`;
  const bridge = topology === Topology.direct ? "lake-writer-1" : "bridge-1";
  process.stdout.write(
    [
      `web UI: ${url}/  (viewing needs no key on this machine; log in with the operator token below to drain, replay and configure)`,
      `admin: ${url}`,
      `  status:  LANGTIAN_CLI_ADMIN_URL=${url} npm run langtian -- status`,
      `operator token of this run (every service of the stack takes it; operator actions send it):`,
      `  ${operatorToken}`,
      topology === Topology.ha
        ? `  e.g.:    LANGTIAN_CLI_ADMIN_URL=${url} LANGTIAN_OPERATOR_TOKEN=${operatorToken} npm run langtian -- drain bridge-1`
        : `  e.g.:    LANGTIAN_CLI_ADMIN_URL=${url} LANGTIAN_OPERATOR_TOKEN=${operatorToken} npm run langtian -- drain ${bridge} --force`,
      topology === Topology.ha
        ? "           (bridge-2 keeps the stream flowing while bridge-1 drains)"
        : `           (--force: the stack runs one instance per stage, and the admin refuses to drain\n           the last ready one without it)`,
      "",
      "",
    ].join("\n"),
  );
}

/** Proves the servers work end to end, not just listen. */
async function smokeCheck(): Promise<void> {
  const { jetStreamRoundTrip, kafkaRoundTrip } = await import("../packages/testing/src/launch/roundtrip.ts");
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const { Admin } = await import("@platformatic/kafka");
  const natsServers = servers.natsUrl.split(",");
  const stream = testing.uniqueName("stack_smoke");
  const viaNats = await jetStreamRoundTrip({ servers: natsServers, stream, count: 10 });
  if (viaNats.length !== 10) throw new Error("smoke round trip through JetStream lost messages");
  // Leave the persistent stack as it was.
  const nc = await connect({ servers: natsServers });
  await (await jetstreamManager(nc)).streams.delete(stream);
  await nc.close();
  if (servers.kafkaBootstrap !== "") {
    const bootstrap = servers.kafkaBootstrap.split(",");
    const viaKafka = await kafkaRoundTrip({ bootstrap: servers.kafkaBootstrap, topic: stream, count: 10 });
    if (viaKafka.length !== 10) throw new Error("smoke round trip through Kafka lost messages");
    const admin = new Admin({ clientId: "langtian-stack", bootstrapBrokers: bootstrap });
    await admin.deleteTopics({ topics: [stream] });
    await admin.close();
    log("smoke: 10 messages through JetStream and 10 through Kafka");
  } else {
    log("smoke: 10 messages through JetStream (no Kafka in this topology)");
  }
  if (topology === Topology.ha) await replicationSmoke();
  await queryApiSmoke();
  await adminSmoke();
}

/**
 * --ha: the events stream is replicated on the 3 NATS nodes (R3, every replica current) and
 * the events topic on the 3 brokers (replication factor 3, min.insync.replicas 2).
 */
async function replicationSmoke(): Promise<void> {
  const { STREAM, TOPIC } = await import("./stack-services.ts");
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const { Admin, ConfigResourceTypes } = await import("@platformatic/kafka");
  const nc = await connect({ servers: servers.natsUrl.split(",") });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(STREAM);
    const peers = 1 + (info.cluster?.replicas?.length ?? 0);
    if (info.config.num_replicas !== 3 || peers !== 3) {
      throw new Error(
        `stream ${STREAM} has ${info.config.num_replicas} replicas configured and ${peers} placed, not 3`,
      );
    }
    log(`smoke: stream ${STREAM} has 3 replicas (leader ${info.cluster?.leader})`);
  } finally {
    await nc.close();
  }
  const admin = new Admin({
    clientId: "langtian-stack",
    bootstrapBrokers: servers.kafkaBootstrap.split(","),
  });
  try {
    const metadata = await admin.metadata({ topics: [TOPIC], forceUpdate: true });
    const partitions = metadata.topics.get(TOPIC)?.partitions ?? [];
    const factors = [...new Set(partitions.map((p) => p.replicas.length))];
    const [described] = await admin.describeConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: TOPIC,
          configurationKeys: ["min.insync.replicas"],
        },
      ],
    });
    const minIsr = described?.configs.find((c) => c.name === "min.insync.replicas")?.value;
    if (partitions.length === 0 || factors.length !== 1 || factors[0] !== 3 || minIsr !== "2") {
      throw new Error(
        `topic ${TOPIC}: replication factors ${factors.join(",") || "none"} and min.insync.replicas ${minIsr}, not 3 and 2`,
      );
    }
    log(
      `smoke: topic ${TOPIC} has replication factor 3 and min.insync.replicas 2 (${partitions.length} partitions)`,
    );
  } finally {
    await admin.close();
  }
}

/** Proves the admin sees the deployment the stack wrote for it: every instance ready. */
async function adminSmoke(): Promise<void> {
  const port = contexts.get("admin")?.ports.http;
  if (port === undefined) throw new Error("smoke check needs the admin");
  const url = `http://127.0.0.1:${port}/langtian.admin.v1.AdminService/GetOverview`;
  type Answer = { overview?: { instances?: { name: string; ready?: boolean }[] } };
  const ready = await testing.waitFor(
    async () => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      if (!res.ok) throw new Error(`GetOverview answered ${res.status}: ${await res.text()}`);
      const listed = (await res.json()) as Answer;
      const all = listed.overview?.instances ?? [];
      return all.length === instances.length && all.every((i) => i.ready === true) ? all : undefined;
    },
    { what: "the admin to report every stack instance ready", timeoutMs: 60_000, intervalMs: 1_000 },
  );
  log(`smoke: the admin reports ${ready.map((i) => i.name).join(", ")} ready`);
  // The web UI queries the lake through the admin: its QueryService proxy reaches the query API.
  const listed = await fetch(`http://127.0.0.1:${port}/langtian.query.v1.QueryService/ListTables`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  if (!listed.ok)
    throw new Error(`ListTables through the admin answered ${listed.status}: ${await listed.text()}`);
  const tables = ((await listed.json()) as { tables?: { name: string }[] }).tables ?? [];
  log(`smoke: the admin forwards QueryService (${tables.map((t) => t.name).join(", ")})`);
  // The web UI: served by the admin, deep links included, and who a visitor without a key is.
  const page = await fetch(`http://127.0.0.1:${port}/events`);
  const html = await page.text();
  if (!page.ok || !html.includes('<div id="app">'))
    throw new Error(`the admin does not serve the web UI at /events (${page.status})`);
  const who = await fetch(`http://127.0.0.1:${port}/v1/session`);
  const session = (await who.json()) as { name?: string; role?: string };
  if (session.role !== "viewer")
    throw new Error(`GET /v1/session answered ${who.status} ${JSON.stringify(session)}`);
  log(`smoke: the admin serves the web UI (a visitor without a key views as ${session.name})`);
}

/**
 * Proves the pipeline end to end: the simulator's events went through the collector, NATS,
 * the bridge, Kafka (or, --direct, JetStream alone) and the lake writer into the lake, and the query API reads them there
 * (ListTables over Connect's JSON POST, as any HTTP client calls it).
 */
async function queryApiSmoke(): Promise<void> {
  const port = contexts.get("query-api")?.ports.http;
  if (port === undefined) throw new Error("smoke check needs the query API");
  const url = `http://127.0.0.1:${port}/langtian.query.v1.QueryService/ListTables`;
  type Listed = { tables?: { name: string; rows?: string; eventTable?: boolean }[] };
  const table = await testing.waitFor(
    async () => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      if (!res.ok) throw new Error(`ListTables answered ${res.status}: ${await res.text()}`);
      const listed = (await res.json()) as Listed;
      return listed.tables?.find((t) => t.eventTable === true && Number(t.rows ?? 0) > 0);
    },
    { what: "the query API to list an event table with rows", timeoutMs: 120_000, intervalMs: 1_000 },
  );
  log(`smoke: the query API lists event table ${table.name} with ${table.rows} rows`);
}

function log(line: string): void {
  process.stdout.write(`[stack] ${line}\n`);
}
