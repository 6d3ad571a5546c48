import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cacheRoot } from "../packages/provision/src/cache-root.mjs";
import { ensureDependencies } from "./lib/dependencies.ts";
import { formatLogLine, LogFormat, resolveLogOutput } from "./lib/pretty-log.ts";
import { repoRoot, step } from "./lib/run.ts";
import type { StackContext, StackService } from "./stack-services.ts";

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
// Data lives in `<cacheRoot()>/stack/` (outside the work tree, so nothing to ignore in git),
// or `LANGTIAN_STACK_DIR`. Ports: LANGTIAN_STACK_NATS_PORT (4222),
// LANGTIAN_STACK_NATS_MONITOR_PORT (8222), LANGTIAN_STACK_KAFKA_PORT (9092),
// LANGTIAN_STACK_KAFKA_CONTROLLER_PORT (9093); a busy default moves to a free port.
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

const smoke = process.argv.includes("--smoke") || process.env.LANGTIAN_STACK_SMOKE === "1";
const hold = process.argv.includes("--hold");
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
const stackDir = resolve(process.env.LANGTIAN_STACK_DIR ?? join(cacheRoot(), "stack"));

if (!process.argv.includes("--no-install")) await step("dependencies", ensureDependencies);
await step("provision", async () => (await import("./tasks/provision.ts")).provision());
// The admin serves the web UI: a fresh build of it (a few seconds) for every stack run.
await step("web UI", async () => (await import("./tasks/web.ts")).webBuild());
// Imported only now: these modules need node_modules.
const testing = await import("../packages/testing/src/index.ts");
const { stackServices } = await import("./stack-services.ts");

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
let stopping: Promise<void> | undefined;

/** Stops everything in reverse start order; idempotent. */
function shutdown(): Promise<void> {
  stopping ??= (async () => {
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

try {
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
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown();
  process.exit(1);
}

async function start(): Promise<void> {
  mkdirSync(stackDir, { recursive: true });
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
  running.push({ name: "nats-server", address: nats.url, data: natsDir, stop: () => nats.stop() });
  running.push({
    name: "nats monitor",
    address: `http://127.0.0.1:${monitorPort}`,
    data: "",
    stop: async () => {},
  });

  const kafkaDir = join(stackDir, "kafka");
  const kafka = await step("kafka", async () =>
    testing.startKafka({
      dataDir: kafkaDir,
      ports: [await port("KAFKA", 9092)],
      controllerPorts: [await port("KAFKA_CONTROLLER", 9093)],
      // A long-running broker: full JIT and G1, unlike the short-lived test brokers.
      jvmOptions: ["-Xms256m", "-Xmx1g", "-XX:+UseG1GC"],
    }),
  );
  running.push({ name: "kafka", address: kafka.bootstrap, data: kafkaDir, stop: () => kafka.stop() });

  for (const service of stackServices) {
    await step(service.name, () => startService(service, nats.url, kafka.bootstrap));
  }
}

async function startService(service: StackService, natsUrl: string, kafkaBootstrap: string): Promise<void> {
  const dataDir = join(stackDir, service.name);
  mkdirSync(dataDir, { recursive: true });
  const ports: Record<string, number> = {};
  for (const [role, fallback] of Object.entries(service.ports ?? {})) {
    ports[role] = await port(`${service.name}_${role}`, fallback);
  }
  if (service.stage !== undefined) {
    instances.push(`${service.stage}-1=${service.stage}@http://127.0.0.1:${ports.http}`);
  }
  const context: StackContext = {
    natsUrl,
    kafkaBootstrap,
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
  if (readyUrl) {
    await testing.waitFor(async () => ((await fetch(readyUrl)).ok ? true : undefined), {
      what: `${service.name} at ${readyUrl}`,
      timeoutMs: 60_000,
      giveUpIf: () => (proc.isRunning() ? undefined : "the process exited"),
    });
  } else if (!proc.isRunning()) {
    throw new Error(`${service.name} exited at startup`);
  }
}

/**
 * The port for `key`: `LANGTIAN_STACK_<KEY>_PORT` when set (and then it must be free), else
 * the default when free, else any free port. "Free" means for TCP and UDP alike, since a
 * service's port role may be either (the collector listens for datagrams).
 */
async function port(key: string, fallback: number): Promise<number> {
  const variable = `LANGTIAN_STACK_${key.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_PORT`;
  const isFree = async (p: number) => (await testing.canListen(p)) && (await testing.canBindUdp(p));
  const fromEnv = process.env[variable];
  if (fromEnv) {
    const chosen = Number(fromEnv);
    if (!Number.isInteger(chosen) || chosen <= 0 || chosen > 65535) {
      throw new Error(`${variable}=${fromEnv} is no port`);
    }
    if (!(await isFree(chosen))) throw new Error(`${variable}=${chosen} is in use`);
    return chosen;
  }
  if (await isFree(fallback)) return fallback;
  for (;;) {
    const free = await testing.freePort();
    if (!(await testing.canBindUdp(free))) continue;
    log(`port ${fallback} (${key.toLowerCase()}) is busy; using ${free}`);
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
  process.stdout.write(`\nLangtian EDA stack\n${lines.join("\n")}\n\n`);
}

/** How to reach the admin with the `langtian` CLI, and this run's operator token (printed once). */
function printOperatorHints(): void {
  const port = contexts.get("admin")?.ports.http;
  if (port === undefined) return;
  const url = `http://127.0.0.1:${port}`;
  process.stdout.write(
    [
      `web UI: ${url}/  (viewing needs no key on this machine; log in with the operator token below to drain, replay and configure)`,
      `admin: ${url}`,
      `  status:  LANGTIAN_CLI_ADMIN_URL=${url} npm run langtian -- status`,
      `operator token of this run (every service of the stack takes it; operator actions send it):`,
      `  ${operatorToken}`,
      `  e.g.:    LANGTIAN_CLI_ADMIN_URL=${url} LANGTIAN_OPERATOR_TOKEN=${operatorToken} npm run langtian -- drain bridge-1 --force`,
      `           (--force: the stack runs one instance per stage, and the admin refuses to drain`,
      `           the last ready one without it)`,
      "",
      "",
    ].join("\n"),
  );
}

/** Proves the servers work end to end, not just listen. */
async function smokeCheck(): Promise<void> {
  const { jetStreamRoundTrip, kafkaRoundTrip } = await import("../packages/testing/src/launch/roundtrip.ts");
  const nats = running.find((r) => r.name === "nats-server");
  const kafka = running.find((r) => r.name === "kafka");
  if (!nats || !kafka) throw new Error("smoke check needs nats-server and kafka");
  const stream = testing.uniqueName("stack_smoke");
  const viaNats = await jetStreamRoundTrip({ servers: nats.address, stream, count: 10 });
  const viaKafka = await kafkaRoundTrip({ bootstrap: kafka.address, topic: stream, count: 10 });
  if (viaNats.length !== 10 || viaKafka.length !== 10) throw new Error("smoke round trips lost messages");
  // Leave the persistent stack as it was.
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const { Admin } = await import("@platformatic/kafka");
  const nc = await connect({ servers: nats.address });
  await (await jetstreamManager(nc)).streams.delete(stream);
  await nc.close();
  const admin = new Admin({ clientId: "langtian-stack", bootstrapBrokers: [kafka.address] });
  await admin.deleteTopics({ topics: [stream] });
  await admin.close();
  log("smoke: 10 messages through JetStream and 10 through Kafka");
  await queryApiSmoke();
  await adminSmoke();
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
 * the bridge, Kafka and the lake writer into the lake, and the query API reads them there
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
