import { hostname } from "node:os";
import { type LakeConfig, lakeConfigFields, lakeConfigFrom, lakeConfigIssues } from "@langtian/lake";
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
  tracingFields,
} from "@langtian/service-kit";

/** What Kafka accepts as a group.instance.id: ASCII letters, digits, '.', '_', '-'; 1–249 chars. */
const GROUP_INSTANCE_ID_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * The lake writer's configuration schema. Env vars are `LANGTIAN_LAKE_WRITER_<PATH>`, e.g.
 * `LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH`, `LANGTIAN_LAKE_WRITER_KAFKA_TOPICS`.
 */
export const lakeWriterConfigSchema = defineConfigSchema("lake-writer", {
  ...serviceFields({ port: 4103 }),
  ...tracingFields(),
  lake: {
    ...lakeConfigFields(),
    dataInliningRowLimit: integer({
      default: 0,
      min: 0,
      description:
        "Inserts of at most this many rows stay in the catalog until maintenance flushes them (0 = off).",
    }),
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
  return lakeConfigIssues(config.lake);
}

/** The lake part of the configuration, as `openLake` takes it. */
export function lakeConfigOf(config: LakeWriterConfig): LakeConfig {
  return {
    ...lakeConfigFrom(config.lake),
    // Always passed, 0 included: left out, DuckLake's own default (10 rows) would apply.
    dataInliningRowLimit: config.lake.dataInliningRowLimit,
  };
}
