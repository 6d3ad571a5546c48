import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { provisionNatsServer } from "@langtian/provision";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { freePorts } from "./ports.ts";
import type { ServerProcess } from "./server-process.ts";
import { ServerStartError, startUntilReady } from "./start-until-ready.ts";
import { tempDir } from "./temp.ts";

/** One running nats-server with JetStream. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly serverName: string;
  /** JetStream's store folder (kept across restart()). */
  readonly storeDir: string;
  /** Server output (stdout + stderr). */
  readonly logFile: string;
  /** Graceful shutdown (SIGTERM); resolves when the process is gone. */
  stop(): Promise<void>;
  /** Hard crash (SIGKILL); resolves when the process is gone. */
  kill(): Promise<void>;
  /** Stops (if running) and starts again on the same port and store; resolves when ready. */
  restart(): Promise<void>;
  /** Starts again after stop() or kill(); resolves when ready. */
  start(): Promise<void>;
  isRunning(): boolean;
}

/** Options for {@link startNats}. */
export interface StartNatsOptions {
  /** Client port; a free one when omitted. */
  port?: number;
  /** Folder for config, log and JetStream store; a temp dir (removed at exit) when omitted. */
  dataDir?: string;
  serverName?: string;
  /** Extra nats-server config text appended to the generated file. */
  extraConfig?: string;
  /** How long to wait for readiness; generous because CPU is shared. */
  readyTimeoutMs?: number;
}

/** Options for {@link startNatsCluster}. */
export interface StartNatsClusterOptions {
  /** Folder holding one subfolder per node; a temp dir when omitted. */
  dataDir?: string;
  readyTimeoutMs?: number;
  /** Client ports, one per node; free ones when omitted. */
  ports?: number[];
  /** Cluster (route) ports, one per node; free ones when omitted. */
  routePorts?: number[];
  /** Extra nats-server config text per node (by 0-based index), e.g. a monitor port. */
  extraConfig?: (node: number) => string;
}

/** A 3-node JetStream cluster. */
export interface NatsCluster {
  /** Client URLs of every node, usable together as `servers` of a connection. */
  readonly urls: string[];
  readonly servers: NatsServer[];
  /** Stops every node. */
  stop(): Promise<void>;
}

const defaultReadyTimeoutMs = 60_000;

/**
 * Starts a single JetStream nats-server on 127.0.0.1 and waits until a client can connect
 * and read its JetStream account info.
 */
export async function startNats(options: StartNatsOptions = {}): Promise<NatsServer> {
  const binary = await provisionNatsServer();
  for (let attempt = 1; ; attempt++) {
    const [port = 0] = options.port === undefined ? await freePorts(1) : [options.port];
    const node = createNode({
      binary,
      port,
      dataDir: options.dataDir ?? tempDir("nats"),
      serverName: options.serverName ?? "n1",
      extraConfig: options.extraConfig ?? "",
      readyTimeoutMs: options.readyTimeoutMs ?? defaultReadyTimeoutMs,
    });
    try {
      await node.start();
      return node;
    } catch (err) {
      // A random port can be taken between our check and the server's bind: retry elsewhere.
      if (!(err instanceof ServerStartError && err.portInUse && options.port === undefined && attempt < 3))
        throw err;
    }
  }
}

/**
 * Starts a 3-node JetStream cluster (unique server names, one cluster block with routes to
 * every node) and waits until every node answers JetStream requests, which needs an elected
 * meta leader.
 */
export async function startNatsCluster(options: StartNatsClusterOptions = {}): Promise<NatsCluster> {
  const binary = await provisionNatsServer();
  for (let attempt = 1; ; attempt++) {
    const root = options.dataDir ?? tempDir("nats-cluster");
    const clientPorts = options.ports ?? (await freePorts(3));
    const routePorts = options.routePorts ?? (await freePorts(3));
    const routes = routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
    const servers = clientPorts.map((port, i) =>
      createNode({
        binary,
        port,
        dataDir: join(root, `n${i + 1}`),
        serverName: `n${i + 1}`,
        extraConfig: `cluster {\n  name: "langtian"\n  listen: "127.0.0.1:${routePorts[i]}"\n  routes: [${routes}]\n}\n${options.extraConfig?.(i) ?? ""}`,
        readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
      }),
    );
    try {
      // Started together: each node's JetStream waits for the others to elect a meta leader.
      await Promise.all(servers.map((s) => s.start()));
      return {
        urls: servers.map((s) => s.url),
        servers,
        stop: async () => {
          await Promise.all(servers.map((s) => s.stop()));
        },
      };
    } catch (err) {
      await Promise.all(servers.map((s) => s.kill()));
      const chosePorts = options.ports !== undefined || options.routePorts !== undefined;
      if (!(err instanceof ServerStartError && err.portInUse && !chosePorts && attempt < 3)) throw err;
    }
  }
}

interface NodeSpec {
  binary: string;
  port: number;
  dataDir: string;
  serverName: string;
  extraConfig: string;
  readyTimeoutMs: number;
}

function createNode(spec: NodeSpec): NatsServer {
  mkdirSync(spec.dataDir, { recursive: true });
  const storeDir = join(spec.dataDir, "jetstream");
  const configFile = join(spec.dataDir, "nats-server.conf");
  const logFile = join(spec.dataDir, "nats-server.log");
  const url = `nats://127.0.0.1:${spec.port}`;
  writeFileSync(
    configFile,
    [
      `server_name: ${JSON.stringify(spec.serverName)}`,
      `listen: "127.0.0.1:${spec.port}"`,
      // Limits sized for tests: a runaway test fills memory or disk slower than it fails.
      `jetstream {\n  store_dir: ${JSON.stringify(storeDir)}\n  max_memory_store: 256MB\n  max_file_store: 16GB\n}`,
      spec.extraConfig,
    ].join("\n"),
  );
  let proc: ServerProcess | undefined;
  const node: NatsServer = {
    url,
    port: spec.port,
    serverName: spec.serverName,
    storeDir,
    logFile,
    isRunning: () => proc?.isRunning() ?? false,
    start: async () => {
      if (proc?.isRunning()) return;
      proc = await startUntilReady({
        what: `nats-server ${spec.serverName} on port ${spec.port}`,
        spec: { command: spec.binary, args: ["-c", configFile], logFile, cwd: spec.dataDir },
        ready: () => jetStreamReady(url),
        timeoutMs: spec.readyTimeoutMs,
      });
    },
    stop: async () => {
      await proc?.stop(15_000);
    },
    kill: async () => {
      await proc?.kill();
    },
    restart: async () => {
      await node.stop();
      await node.start();
    },
  };
  return node;
}

/** Whether a client can connect and JetStream answers an account info request. */
async function jetStreamReady(url: string): Promise<boolean> {
  const nc = await connect({ servers: url, reconnect: false, timeout: 2_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000 });
    await jsm.getAccountInfo();
    return true;
  } finally {
    await nc.close();
  }
}

/**
 * Starts a nats-server without JetStream on `port` (often the port of a stopped
 * {@link NatsServer}): clients connect, but every JetStream request finds no responder, as
 * they time out while a cluster that just lost a node elects a leader. Stop it, then start
 * the JetStream server again on the same port, to end that window.
 */
export async function startNatsWithoutJetStream(port: number): Promise<ServerProcess> {
  const url = `nats://127.0.0.1:${port}`;
  return await startUntilReady({
    what: `nats-server without JetStream on port ${port}`,
    spec: {
      command: await provisionNatsServer(),
      args: ["-a", "127.0.0.1", "-p", String(port)],
      logFile: join(tempDir("core-nats"), "nats-server.log"),
    },
    ready: async () => {
      const nc = await connect({ servers: url, reconnect: false, timeout: 2_000 });
      await nc.close();
      return true;
    },
    timeoutMs: defaultReadyTimeoutMs,
  });
}
