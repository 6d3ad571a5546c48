/**
 * The one source of truth for the Windows deployment: every Windows service (the five
 * pipeline services and the NATS nodes), where its files live, how the service manager runs
 * and restarts it, and what the bundle holds. `generate.ts` renders install.ps1,
 * uninstall.ps1, upgrade.ps1, the config templates and the NATS configs from it;
 * `windows.test.ts` checks the committed files are what the generator writes.
 */

/** One pipeline service run by Node through the shawl wrapper. */
export interface NodeWindowsService {
  /** Short name: the folder under `%ProgramData%\Langtian`, e.g. `lake-writer`. */
  readonly name: string;
  /** Windows service name; its virtual account is `NT SERVICE\<serviceName>`. */
  readonly serviceName: string;
  readonly displayName: string;
  readonly description: string;
  /** Entry point inside the bundle's `app` folder, `\`-separated. */
  readonly entry: string;
  /** Node flags of its production launch. */
  readonly nodeFlags: readonly string[];
  /** Env var prefix of its config (`<prefix>_CONFIG_FILE` names the config file). */
  readonly envPrefix: string;
  /** Its default HTTP port (health, metrics, RPC). */
  readonly port: number;
  /** Started after the NATS service(s) installed on the same machine. */
  readonly afterNats: boolean;
  /** Drained through the admin before it is stopped by upgrade.ps1 (the admin itself is not). */
  readonly drainedByAdmin: boolean;
  /** Subfolders of its ProgramData folder it writes (besides `logs`). */
  readonly dataFolders: readonly string[];
  /** Access to the shared lake folder `%ProgramData%\Langtian\lake`. */
  readonly lakeAccess: "none" | "read" | "write";
  /**
   * Its config template (`config\<name>.json`). install.ps1 fills in `{{DATA}}`
   * (`%ProgramData%\Langtian`), `{{BUNDLE}}` (the service's release folder), `{{OPERATOR_TOKEN}}`
   * (the site's operator token) and `{{INGEST_SECRET}}` (a random push key).
   */
  readonly config: Readonly<Record<string, unknown>>;
}

/** Restart after 5 s, 10 s, then every 30 s; the failure count resets after a day without one. */
export const recovery = { restartDelaysMs: [5_000, 10_000, 30_000], resetAfterS: 86_400 } as const;

/**
 * How long shawl waits after its Ctrl+C before killing the process: the services' own
 * `shutdownDeadlineMs` (30 s by default) plus room to exit.
 */
export const stopTimeoutMs = 35_000;

/** shawl's own log rotation of the service output: one file a day, two weeks kept. */
export const logRotation = { rotate: "daily", retain: 14 } as const;

/** Where things go on a Windows host (PowerShell expressions). */
export const windowsPaths = {
  /** Releases (`releases\<version>`), the stable shawl.exe (`bin`) and each service's junction (`run\<service>`). */
  installRoot: "$env:ProgramFiles\\Langtian",
  /** Config, logs and data of every service, and the lake. */
  dataRoot: "$env:ProgramData\\Langtian",
} as const;

/** The one-machine cluster's client URLs (three-machines sites put their three hosts here). */
const natsUrls = "nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224";

const lakeFor = (catalogPath: string) => ({
  catalog: "sqlite",
  catalogPath,
  dataPath: "{{DATA}}\\lake\\data",
  extensionDir: "{{BUNDLE}}\\duckdb-extensions",
});

/** The pipeline services, in install order. */
export const nodeServices: readonly NodeWindowsService[] = [
  {
    name: "collector",
    serviceName: "LangtianCollector",
    displayName: "Langtian EDA collector",
    description: "Receives device events (UDP, HTTP push) and publishes them to NATS JetStream.",
    entry: "services\\collector\\src\\main.ts",
    nodeFlags: [],
    envPrefix: "LANGTIAN_COLLECTOR",
    port: 4101,
    afterNats: false,
    drainedByAdmin: true,
    dataFolders: ["spool"],
    lakeAccess: "none",
    config: {
      host: "0.0.0.0",
      operatorToken: "{{OPERATOR_TOKEN}}",
      port: 4101,
      nats: { url: natsUrls },
      spool: { dir: "{{DATA}}\\collector\\spool" },
      ingest: { apiKeys: ["site:{{INGEST_SECRET}}:*"] },
      udp: { listeners: ["udp://0.0.0.0:7401?decoder=json&event_type=device.telemetry&source_system=site"] },
    },
  },
  {
    name: "bridge",
    serviceName: "LangtianBridge",
    displayName: "Langtian EDA bridge",
    description: "Moves events from the JetStream stream to Kafka, exactly once.",
    entry: "services\\bridge\\src\\provision-and-run.ts",
    nodeFlags: [],
    envPrefix: "LANGTIAN_BRIDGE",
    port: 4102,
    afterNats: true,
    drainedByAdmin: true,
    dataFolders: [],
    lakeAccess: "none",
    config: {
      host: "0.0.0.0",
      operatorToken: "{{OPERATOR_TOKEN}}",
      port: 4102,
      instanceId: "bridge-1",
      nats: { url: natsUrls },
      kafka: { bootstrap: ["kafka-1.example:9092"] },
    },
  },
  {
    name: "lake-writer",
    serviceName: "LangtianLakeWriter",
    displayName: "Langtian EDA lake writer",
    description: "Writes events from Kafka (or JetStream) into the DuckLake lake.",
    entry: "services\\lake-writer\\src\\main.ts",
    nodeFlags: ["--max-old-space-size=256", "--max-semi-space-size=4"],
    envPrefix: "LANGTIAN_LAKE_WRITER",
    port: 4103,
    afterNats: false,
    drainedByAdmin: true,
    dataFolders: [],
    lakeAccess: "write",
    config: {
      host: "0.0.0.0",
      operatorToken: "{{OPERATOR_TOKEN}}",
      port: 4103,
      instanceId: "lake-writer-1",
      kafka: { bootstrap: ["kafka-1.example:9092"], topics: ["eda.events"] },
      lake: lakeFor("{{DATA}}\\lake\\catalog.sqlite"),
    },
  },
  {
    name: "query-api",
    serviceName: "LangtianQueryApi",
    displayName: "Langtian EDA query API",
    description: "Answers read-only SQL and event queries on the lake.",
    entry: "services\\query-api\\src\\main.ts",
    nodeFlags: [],
    envPrefix: "LANGTIAN_QUERY_API",
    port: 4104,
    afterNats: false,
    drainedByAdmin: true,
    dataFolders: ["tmp"],
    lakeAccess: "read",
    config: {
      host: "0.0.0.0",
      operatorToken: "{{OPERATOR_TOKEN}}",
      port: 4104,
      lake: lakeFor("{{DATA}}\\lake\\catalog.sqlite"),
      sandbox: { tempDir: "{{DATA}}\\query-api\\tmp" },
    },
  },
  {
    name: "admin",
    serviceName: "LangtianAdmin",
    displayName: "Langtian EDA admin",
    description: "Operates the pipeline: status, drains, dead letters, the web UI.",
    entry: "services\\admin\\src\\main.ts",
    nodeFlags: [],
    envPrefix: "LANGTIAN_ADMIN",
    port: 4105,
    afterNats: true,
    drainedByAdmin: false,
    dataFolders: [],
    lakeAccess: "read",
    config: {
      host: "0.0.0.0",
      operatorToken: "{{OPERATOR_TOKEN}}",
      port: 4105,
      instanceOperatorToken: "{{OPERATOR_TOKEN}}",
      deployment: {
        instances: [
          "collector-1=collector@http://127.0.0.1:4101",
          "bridge-1=bridge@http://127.0.0.1:4102",
          "lake-writer-1=lake-writer@http://127.0.0.1:4103",
          "query-api-1=query-api@http://127.0.0.1:4104",
          "admin-1=admin@http://127.0.0.1:4105",
        ],
      },
      nats: { url: natsUrls, streams: ["EDA_EVENTS"] },
      kafka: { bootstrap: ["kafka-1.example:9092"], topics: ["eda.events"] },
      lake: lakeFor("{{DATA}}\\lake\\catalog.sqlite"),
      web: { dir: "{{BUNDLE}}\\app\\web\\dist" },
    },
  },
];

/** The order upgrade.ps1 replaces services in: bridges before collectors, the admin last. */
export const upgradeOrder = ["bridge", "lake-writer", "query-api", "collector", "admin"] as const;

/** One NATS node: its Windows service, its ports and its folder under ProgramData. */
export interface NatsNode {
  /** `n1`, `n2`, `n3`: the server_name. */
  readonly id: string;
  /** Windows service name, e.g. `LangtianNatsN1`. */
  readonly serviceName: string;
  readonly clientPort: number;
  readonly clusterPort: number;
  readonly monitorPort: number;
}

/** The two cluster layouts: three nodes on one machine (ports apart) or one node on each of three. */
export const natsLayouts = {
  "one-machine": [1, 2, 3].map(
    (i): NatsNode => ({
      id: `n${i}`,
      serviceName: `LangtianNatsN${i}`,
      clientPort: 4221 + i,
      clusterPort: 6221 + i,
      monitorPort: 8221 + i,
    }),
  ),
  "three-machines": [1, 2, 3].map(
    (i): NatsNode => ({
      id: `n${i}`,
      serviceName: `LangtianNatsN${i}`,
      clientPort: 4222,
      clusterPort: 6222,
      monitorPort: 8222,
    }),
  ),
} as const;

/** The NATS cluster's name (one `cluster` block shared by the three nodes). */
export const natsClusterName = "langtian";

/**
 * What the bundle (`npm run package:windows`) holds, relative to its root. Every bundle file
 * the scripts name must be listed here (windows.test.ts checks it).
 */
export const bundleLayout = {
  node: "node\\node.exe",
  natsServer: "bin\\nats-server.exe",
  shawl: "bin\\shawl.exe",
  adminCli: "app\\services\\admin\\src\\cli\\main.ts",
  version: "VERSION",
  checksums: "SHA256SUMS",
  deployFolder: "deploy\\windows",
  /** The helpers install.ps1, upgrade.ps1 and uninstall.ps1 dot-source from their own folder. */
  commonScript: "deploy\\windows\\langtian-common.ps1",
  extensionFolder: "duckdb-extensions",
  webFolder: "app\\web\\dist",
  /** `node_modules\@langtian\<name>=<its folder>` per line: junctions install.ps1 makes (a zip holds no links). */
  workspaceLinks: "app\\workspace-links.txt",
} as const;
