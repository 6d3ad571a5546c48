import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { adminConfigSchema } from "@langtian/admin";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  freePort,
  type NodeService,
  startNodeService,
  startQueryApiProcess,
  startWrittenLake,
  tempDir,
  testKafkaBootstrap,
  testNatsUrl,
  uniqueName,
  type WrittenLake,
} from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const repoRoot = resolve(import.meta.dirname, "../../..");

/** Max bytes of the JetStream streams test bridges create (their reservation on the shared server). */
export const TEST_STREAM_MAX_BYTES = 64 * 1024 * 1024;

/** Deletes JetStream streams, ignoring any already gone. */
export async function deleteStreams(natsUrl: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const nc = await connect({ servers: natsUrl.split(",") });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of names) await jsm.streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}
const ADMIN_MAIN = join(repoRoot, "services/admin/src/main.ts");
const BRIDGE_MAIN = join(repoRoot, "services/bridge/src/provision-and-run.ts");

/** The built UI `npm run build -w web` writes; `LANGTIAN_WEB_DIST` points the tests at another build. */
export const WEB_DIST = process.env.LANGTIAN_WEB_DIST ?? join(repoRoot, "web", "dist");

/** Options of {@link startUiPlatform}. */
export interface UiPlatformOptions {
  /** Telemetry events the lake writer commits before the UI starts (16 devices, 2 sources). Default 200. */
  readonly events?: number;
  /** Also start a bridge from a fresh JetStream stream into the lake's topic (drain, dead letters). */
  readonly bridge?: boolean;
  /** The built UI the admin serves. Default {@link WEB_DIST}. */
  readonly webDir?: string;
  /** More admin settings, merged per section over the harness's (e.g. `{ web: { sessionTtlMs: 60000 } }`). */
  readonly admin?: Readonly<Record<string, unknown>>;
}

/** The bridge of a {@link UiPlatform} started with `bridge: true`. */
export interface UiBridge {
  readonly service: NodeService;
  /** JetStream stream the bridge reads; publish to `<subjectPrefix>.<event type>`. */
  readonly stream: string;
  readonly subjectPrefix: string;
  /** Kafka topic of the bridge's dead letters (the admin lists it). */
  readonly deadLetterTopic: string;
}

/** A running platform for the browser tests: a written lake, a query API and an admin serving the UI. */
export interface UiPlatform {
  /** The admin's base URL (`http://127.0.0.1:<port>`): the UI, its API and `/v1/session`. The port survives a restart. */
  readonly adminUrl: string;
  /** The query API's base URL. */
  readonly queryApiUrl: string;
  /** A viewer key of the admin (`ana`). */
  readonly viewerKey: string;
  /** An operator key of the admin (`olga`). */
  readonly operatorKey: string;
  /** The query API's reader key (the admin's, when the admin proxies queries). */
  readonly queryApiKey: string;
  /** The operator token of the instances (lake writer, query API, bridge): drains use it. */
  readonly instanceOperatorToken: string;
  readonly natsUrl: string;
  readonly kafkaBootstrap: string;
  /** The lake, its topic and its still-running writer (`lake.produce(n)` adds events). */
  readonly lake: WrittenLake;
  readonly queryApi: NodeService;
  /** The admin while it runs (replaced by {@link UiPlatform.startAdmin}). */
  admin(): NodeService | undefined;
  readonly bridge?: UiBridge;
  /** Folder of the configuration files and logs (`admin.log`, `query-api.log`, ...). */
  readonly dir: string;
  /** Stops the admin (the UI goes offline). */
  stopAdmin(): Promise<void>;
  /** Starts the admin again on the same port (a no-op when it runs). */
  startAdmin(): Promise<NodeService>;
  /** Stops every process it started (admin, query API, bridge, lake writer). */
  stop(): Promise<void>;
}

/** Secrets of the harness (test-only; at least 16 characters, as the services require). */
const VIEWER_KEY = "viewer-secret-0123456789";
const OPERATOR_KEY = "operator-secret-0123456789";
const QUERY_API_KEY = "ui-reader-secret-0123456789";
const INSTANCE_TOKEN = "instance-operator-token-0123456789";

/** True when the admin's configuration has a section named `name` (fields land in parallel work). */
function adminHas(name: string): boolean {
  return Object.hasOwn(adminConfigSchema.fields, name);
}

/** `base` with `overrides` merged one level deep (per section), as the admin's config file takes it. */
function mergeSections(
  base: Record<string, unknown>,
  overrides: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] =
      typeof value === "object" && value !== null && !Array.isArray(value) && typeof current === "object"
        ? { ...(current as object), ...value }
        : value;
  }
  return merged;
}

/**
 * Starts what the web UI talks to, each service a real child process from its `main.ts`:
 * a lake written by the real lake writer from the shared Kafka (`startWrittenLake`), a query API
 * on it, optionally a bridge, and an admin serving the built UI with a viewer and an operator
 * key, its deployment listing the started instances, and (when the admin has `queryApi`) the
 * query API to proxy to. Needs the shared servers of `npm test` (or starts its own).
 * @throws when the UI is not built (run `npm run build -w web`).
 */
export async function startUiPlatform(options: UiPlatformOptions = {}): Promise<UiPlatform> {
  const webDir = options.webDir ?? WEB_DIST;
  if (!existsSync(join(webDir, "index.html"))) {
    throw new Error(
      `the web UI is not built: ${join(webDir, "index.html")} is missing. Run \`npm run build -w web\` ` +
        "(npm test builds it before the browser tests)",
    );
  }
  const dir = tempDir("ui-platform");
  const started: { stop(): Promise<unknown> }[] = [];
  let admin: NodeService | undefined;
  // JetStream streams this platform made: deleted at the end, since each reserves space on the
  // shared nats-server for the rest of the run (the audit stream 256 MiB), and a run of many
  // suites otherwise ends with "insufficient storage resources".
  const streams: string[] = [];
  let natsUrlOfRun: string | undefined;
  const stopAll = async () => {
    await admin?.process.kill();
    admin = undefined;
    // Newest first: the readers before the writer of what they read.
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
    started.length = 0;
    if (natsUrlOfRun !== undefined) await deleteStreams(natsUrlOfRun, streams.splice(0));
  };
  try {
    await provisionDuckdbExtensions();
    const natsUrl = await testNatsUrl();
    natsUrlOfRun = natsUrl;
    const kafkaBootstrap = await testKafkaBootstrap();
    const lake = await startWrittenLake(options.events ?? 200, {
      writerEnv: { LANGTIAN_LAKE_WRITER_OPERATOR_TOKEN: INSTANCE_TOKEN },
    });
    started.push(lake);

    const queryApi = await startQueryApiProcess(lake, {
      apiKeys: [`admin-ui:${QUERY_API_KEY}:reader`],
      operatorToken: INSTANCE_TOKEN,
    });
    started.push({ stop: () => queryApi.process.kill() });

    let bridge: UiBridge | undefined;
    if (options.bridge === true) {
      const stream = uniqueName("UI").toUpperCase();
      const subjectPrefix = `ui.${stream.toLowerCase()}`;
      const deadLetterTopic = `${uniqueName("ui")}.bridge-dead-letter`;
      const service = await startNodeService({
        name: "bridge",
        script: BRIDGE_MAIN,
        env: {
          LANGTIAN_BRIDGE_PORT: "0",
          LANGTIAN_BRIDGE_LOG_LEVEL: "info",
          LANGTIAN_BRIDGE_OPERATOR_TOKEN: INSTANCE_TOKEN,
          LANGTIAN_BRIDGE_NATS_URL: natsUrl,
          LANGTIAN_BRIDGE_NATS_STREAM: stream,
          LANGTIAN_BRIDGE_NATS_STREAM_SUBJECTS: `${subjectPrefix}.>`,
          LANGTIAN_BRIDGE_NATS_DURABLE: `bridge_${stream}`,
          LANGTIAN_BRIDGE_NATS_FETCH_EXPIRES_MS: "2000",
          // Its stream reserves this much of the shared server's store (the default is production's).
          LANGTIAN_BRIDGE_NATS_STREAM_MAX_BYTES: String(TEST_STREAM_MAX_BYTES),
          LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: kafkaBootstrap,
          LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "2",
          LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: lake.topic,
          LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: deadLetterTopic,
        },
        logFile: join(dir, "bridge.log"),
        readyTimeoutMs: 120_000,
      });
      started.push({ stop: () => service.process.kill() });
      bridge = { service, stream, subjectPrefix, deadLetterTopic };
      streams.push(stream);
    }

    // A fixed port: the page keeps its URL when the admin restarts (offline tests).
    const adminPort = await freePort();
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    const instances = [
      `lake-writer-1=lake-writer@${lake.writer.url}`,
      `query-api-1=query-api@${queryApi.url}`,
      ...(bridge === undefined ? [] : [`bridge-1=bridge@${bridge.service.url}`]),
      `admin-1=admin@${adminUrl}`,
    ];
    const auditStream = uniqueName("UI_AUDIT").toUpperCase();
    streams.push(auditStream);
    const adminConfig = join(dir, "admin.json");
    writeFileSync(
      adminConfig,
      JSON.stringify(
        mergeSections(
          {
            port: adminPort,
            host: "127.0.0.1",
            logLevel: "info",
            deployment: { instances },
            nats: { url: natsUrl, streams: bridge === undefined ? [] : [bridge.stream] },
            kafka: { bootstrap: kafkaBootstrap.split(","), topics: [lake.topic] },
            lake: lake.lakeSettings(),
            audit: { stream: auditStream },
            access: { apiKeys: [`ana:${VIEWER_KEY}:viewer`, `olga:${OPERATOR_KEY}:operator`] },
            web: { dir: webDir },
            instanceOperatorToken: INSTANCE_TOKEN,
            ...(bridge === undefined ? {} : { deadLetters: { bridgeTopic: bridge.deadLetterTopic } }),
            // The admin's query proxy, once its configuration has it.
            ...(adminHas("queryApi") ? { queryApi: { url: queryApi.url, key: QUERY_API_KEY } } : {}),
          },
          options.admin ?? {},
        ),
      ),
    );
    const startAdmin = async () => {
      admin ??= await startNodeService({
        name: "admin",
        script: ADMIN_MAIN,
        env: { LANGTIAN_ADMIN_CONFIG_FILE: adminConfig },
        logFile: join(dir, "admin.log"),
      });
      return admin;
    };
    await startAdmin();

    const platform: UiPlatform = {
      adminUrl,
      queryApiUrl: queryApi.url,
      viewerKey: VIEWER_KEY,
      operatorKey: OPERATOR_KEY,
      queryApiKey: QUERY_API_KEY,
      instanceOperatorToken: INSTANCE_TOKEN,
      natsUrl,
      kafkaBootstrap,
      lake,
      queryApi,
      admin: () => admin,
      dir,
      stopAdmin: async () => {
        await admin?.process.kill();
        admin = undefined;
      },
      startAdmin,
      stop: stopAll,
    };
    if (bridge !== undefined) Object.assign(platform, { bridge });
    return platform;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
