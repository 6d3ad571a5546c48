import { hostname } from "node:os";
import { defaultDuckdbExtensionDir } from "@langtian/provision";
import {
  boolean,
  type ConfigFile,
  type ConfigIssue,
  defineConfigSchema,
  type Env,
  type InferConfig,
  integer,
  loadConfig,
  oneOf,
  serviceFields,
  string,
  stringList,
} from "@langtian/service-kit";
import type { LakeConfig } from "./lake/lake-config.ts";

/** What Kafka accepts as a group.instance.id: ASCII letters, digits, '.', '_', '-'; 1–249 chars. */
const GROUP_INSTANCE_ID_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * The lake writer's configuration schema. Env vars are `LANGTIAN_LAKE_WRITER_<PATH>`, e.g.
 * `LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH`, `LANGTIAN_LAKE_WRITER_KAFKA_TOPICS`.
 */
export const lakeWriterConfigSchema = defineConfigSchema("lake-writer", {
  ...serviceFields({ port: 4103 }),
  lake: {
    catalog: oneOf(["duckdb", "sqlite", "postgres"], {
      default: "duckdb",
      description:
        "Catalog kind: duckdb (one writer process), sqlite (a few local processes), postgres (many writers).",
    }),
    catalogPath: string({
      default: "./data/lake/catalog.ducklake",
      description: "Catalog file for the duckdb and sqlite kinds.",
    }),
    postgresDsn: string({
      optional: true,
      secret: true,
      description:
        'libpq connection string of the postgres catalog, e.g. "host=db port=5432 dbname=lake user=lw".',
    }),
    dataPath: string({
      default: "./data/lake/data",
      description: "Folder or s3://bucket/prefix/ where Parquet files are written.",
    }),
    extensionDir: string({
      default: defaultDuckdbExtensionDir(),
      description:
        "DuckDB extension directory holding v1.5.5/<platform>/{ducklake,httpfs,sqlite_scanner,postgres_scanner}.duckdb_extension; the writer never downloads them and fails to start when one is missing. Default: where `npm run provision` puts them.",
    }),
    dataInliningRowLimit: integer({
      default: 0,
      min: 0,
      description:
        "Inserts of at most this many rows stay in the catalog until maintenance flushes them (0 = off).",
    }),
    s3: {
      endpoint: string({ default: "", description: "S3 endpoint host:port for s3:// data paths." }),
      accessKeyId: string({ default: "", description: "S3 access key id." }),
      secretAccessKey: string({ default: "", secret: true, description: "S3 secret access key." }),
      region: string({ default: "us-east-1", description: "S3 region." }),
      useSsl: boolean({ default: false, description: "Use https to reach the S3 endpoint." }),
      urlStyle: oneOf(["path", "vhost"], { default: "path", description: "S3 addressing style." }),
    },
  },
  source: oneOf(["kafka", "jetstream"], {
    default: "kafka",
    description: "Where events come from: Kafka topics, or a JetStream stream directly.",
  }),
  kafka: {
    bootstrap: stringList({
      default: ["127.0.0.1:9092"],
      minLength: 1,
      description: "Kafka bootstrap brokers host:port.",
    }),
    topics: stringList({ default: ["eda.events"], minLength: 1, description: "Topics written to the lake." }),
    groupId: string({ default: "lake-writer", description: "Consumer group shared by all instances." }),
    clientId: string({ default: "langtian-lake-writer", description: "Kafka client id." }),
    groupInstanceId: string({
      optional: true,
      pattern: GROUP_INSTANCE_ID_PATTERN,
      description:
        "Static group membership id: a restarted instance takes its partitions back without a rebalance. Default: derived from instanceId, else from the host name and port (see staticMembership).",
    }),
    staticMembership: boolean({
      default: true,
      description:
        "Without groupInstanceId, derive a static membership id (KIP-345) from instanceId, else the host name and port, so a writer restarted after a crash owns its partitions again at once instead of after the session timeout. Port 0 gives no stable id: dynamic membership. An explicit groupInstanceId applies either way.",
    }),
    startFrom: oneOf(["earliest", "latest"], {
      default: "earliest",
      description: "Where a partition the lake has never seen starts.",
    }),
    fetchMaxWaitMs: integer({
      default: 200,
      min: 1,
      description: "Longest a fetch waits for data on the broker, in ms.",
    }),
    sessionTimeoutMs: integer({
      default: 20_000,
      min: 1000,
      description: "Consumer group session timeout, in ms.",
    }),
  },
  jetstream: {
    url: string({ default: "nats://127.0.0.1:4222", description: "NATS server URL(s), comma-separated." }),
    stream: string({ default: "EDA_EVENTS", description: "Stream written to the lake." }),
    filterSubjects: stringList({ default: [], description: "Subjects taken from the stream (empty: all)." }),
  },
  batch: {
    maxRows: integer({ default: 20_000, min: 1, description: "Records per lake commit at most." }),
    maxBytes: integer({
      default: 32 * 1024 * 1024,
      min: 1024,
      description: "Record bytes per lake commit at most.",
    }),
    flushIntervalMs: integer({
      default: 1000,
      min: 1,
      description: "Longest a record waits before its commit, in ms.",
    }),
    maxCommitRetries: integer({
      default: 10,
      min: 0,
      description: "Reruns of a commit that conflicts with another writer.",
    }),
  },
  dedupe: boolean({
    default: true,
    description:
      "Drop events whose event_id the lake already holds (copies a crashed bridge or collector sent again), counted in duplicates_dropped_total.",
  }),
  pipelineFile: string({
    optional: true,
    description: "YAML file of SQL transforms run over each batch (see README).",
  }),
  maintenance: {
    intervalMs: integer({
      default: 600_000,
      min: 0,
      description: "How often maintenance runs, in ms (0 = never).",
    }),
    snapshotRetentionMs: integer({
      default: 7 * 24 * 3600_000,
      min: 0,
      description: "Snapshots older than this are expired (time travel limit), in ms.",
    }),
    fileCleanupDelayMs: integer({
      default: 3600_000,
      min: 0,
      description: "Files unreferenced for this long are deleted (covers readers of old snapshots), in ms.",
    }),
  },
});

/** The loaded lake writer configuration. */
export type LakeWriterConfig = InferConfig<typeof lakeWriterConfigSchema>;

/**
 * Loads and checks the lake writer configuration (pure: env, file and the host name are
 * arguments). Fills `kafka.groupInstanceId` with {@link defaultGroupInstanceId} when unset.
 * @throws ConfigError listing every problem at once.
 */
export function loadLakeWriterConfig(
  env: Env,
  file?: ConfigFile,
  host: string = hostname(),
): LakeWriterConfig {
  const config = loadConfig(lakeWriterConfigSchema, env, file, lakeChecks);
  if (config.kafka.groupInstanceId !== undefined) return config;
  const groupInstanceId = defaultGroupInstanceId(config, host);
  if (groupInstanceId === undefined) return config;
  return Object.freeze({ ...config, kafka: Object.freeze({ ...config.kafka, groupInstanceId }) });
}

/**
 * The static membership id a writer uses when none is configured: `lake-writer-<instanceId>`
 * when the instance has a configured id, else `lake-writer-<host>-<port>` (one process per
 * host and port can listen, and a restarted one has the same pair). None (dynamic membership)
 * when static membership is off, or with port 0: a random port is no identity, and two
 * writers sharing an id would fence each other.
 */
export function defaultGroupInstanceId(
  config: Pick<LakeWriterConfig, "instanceId" | "port"> & {
    kafka: Pick<LakeWriterConfig["kafka"], "staticMembership">;
  },
  host: string,
): string | undefined {
  if (!config.kafka.staticMembership) return undefined;
  let id: string;
  if (config.instanceId !== undefined) id = `lake-writer-${config.instanceId}`;
  else if (config.port > 0) id = `lake-writer-${host}-${config.port}`;
  else return undefined;
  return id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 249);
}

/** Rules that span several lake fields. */
function lakeChecks(config: LakeWriterConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { lake } = config;
  if (lake.catalog === "postgres" && !lake.postgresDsn) {
    issues.push({
      path: "lake.postgresDsn",
      source: "config",
      expected: "a libpq DSN for the postgres catalog",
      got: "nothing",
    });
  }
  if (lake.dataPath.startsWith("s3://")) {
    for (const key of ["endpoint", "accessKeyId", "secretAccessKey"] as const) {
      if (!lake.s3[key]) {
        issues.push({
          path: `lake.s3.${key}`,
          source: "config",
          expected: "a value for an s3:// data path",
          got: "nothing",
        });
      }
    }
  }
  return issues;
}

/** The lake part of the configuration, as `openLake` takes it. */
export function lakeConfigOf(config: LakeWriterConfig): LakeConfig {
  const { lake } = config;
  const catalog: LakeConfig["catalog"] =
    lake.catalog === "postgres"
      ? { kind: "postgres", dsn: lake.postgresDsn ?? "" }
      : { kind: lake.catalog, path: lake.catalogPath };
  return {
    catalog,
    dataPath: lake.dataPath,
    // Always passed, 0 included: left out, DuckLake's own default (10 rows) would apply.
    dataInliningRowLimit: lake.dataInliningRowLimit,
    ...(lake.dataPath.startsWith("s3://") && {
      s3: {
        endpoint: lake.s3.endpoint,
        accessKeyId: lake.s3.accessKeyId,
        secretAccessKey: lake.s3.secretAccessKey,
        region: lake.s3.region,
        useSsl: lake.s3.useSsl,
        urlStyle: lake.s3.urlStyle,
      },
    }),
  };
}
