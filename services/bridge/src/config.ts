import { ConnectorConfigLocation, livePipelineSettings } from "@langtian/connector-config";
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
import { isValidTopicName, parseTopicRules, type TopicRule } from "./mapping.ts";

/**
 * The bridge's configuration schema. Env vars are `LANGTIAN_BRIDGE_<PATH>`, e.g.
 * `LANGTIAN_BRIDGE_NATS_URL`, `LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP`, `LANGTIAN_BRIDGE_TOPICS_RULES`.
 */
export const bridgeConfigSchema = defineConfigSchema("bridge", {
  ...serviceFields({ port: 4102 }),
  ...tracingFields(),
  nats: {
    url: string({ default: "nats://127.0.0.1:4222", description: "NATS server URL(s), comma-separated." }),
    stream: string({ default: "EDA_EVENTS", description: "JetStream stream the bridge reads." }),
    durable: string({ default: "bridge", description: "Durable pull consumer shared by all instances." }),
    filterSubjects: stringList({ default: [], description: "Subjects the consumer takes (empty: all)." }),
    streamSubjects: stringList({
      default: [],
      description: "If set, `provision` creates the stream with these subjects when it is missing.",
    }),
    streamMaxBytes: integer({
      default: 10 * 1024 ** 3,
      min: 1,
      description: "Size limit of a stream created by provision, in bytes.",
    }),
    ackWaitMs: integer({ default: 30_000, min: 1000, description: "AckWait of the consumer, in ms." }),
    maxAckPending: integer({
      default: 20_000,
      min: 1,
      description: "Unacked messages allowed across all instances; delivery pauses when reached.",
    }),
    ordered: boolean({
      default: false,
      description: "Provision the consumer for ordered mode (one pinned active instance with failover).",
    }),
    pinnedTimeoutMs: integer({
      default: 35_000,
      min: 1000,
      description: "Ordered mode: a pinned instance that stops pulling loses the pin after this long, in ms.",
    }),
    fetchBatch: integer({
      default: 2000,
      min: 1,
      description: "Messages the client pulls ahead of processing.",
    }),
    fetchExpiresMs: integer({
      default: 5000,
      min: 1000,
      description: "Lifetime of one pull request, in ms.",
    }),
    startupWaitMs: integer({
      default: 60_000,
      min: 0,
      description:
        "How long startup waits for JetStream to answer (a cluster electing a leader after losing a node) before failing, in ms.",
    }),
    consumerInfoIntervalMs: integer({
      default: 5000,
      min: 100,
      description: "How often the consumer's pending/redelivered gauges are refreshed, in ms.",
    }),
  },
  kafka: {
    bootstrap: stringList({
      default: ["127.0.0.1:9092"],
      minLength: 1,
      description: "Kafka bootstrap brokers host:port.",
    }),
    clientId: string({ default: "langtian-bridge", description: "Kafka client id." }),
    compression: oneOf(["none", "gzip", "snappy", "lz4", "zstd"], {
      default: "none",
      description: "Batch compression.",
    }),
    requestTimeoutMs: integer({ default: 30_000, min: 100, description: "Kafka request timeout, in ms." }),
    // At least 2: the client turns 0 or 1 retries of an idempotent producer into "retry for ever",
    // which would hide an outage from the pipeline (no nak, no error metric).
    retries: integer({
      default: 3,
      min: 2,
      description: "Client retries of one produce before the pipeline naks.",
    }),
    retryDelayMs: integer({ default: 250, min: 0, description: "Delay between client retries, in ms." }),
    partitions: integer({ default: 6, min: 1, description: "Partitions of topics created by provision." }),
    replicationFactor: integer({
      default: 1,
      min: 1,
      description: "Replication factor of topics created by provision.",
    }),
    minInsyncReplicas: integer({
      default: 1,
      min: 1,
      description: "min.insync.replicas of topics created by provision.",
    }),
  },
  topics: {
    headers: oneOf(["full", "minimal"], {
      default: "full",
      description:
        "Kafka headers per record: full (envelope metadata, NATS origin, trace context) or minimal (event id, Nats-Msg-Id, trace context; faster).",
    }),
    defaultTopic: string({ default: "eda.events", description: "Topic for subjects no rule matches." }),
    rules: stringList({
      default: [],
      description: 'Routing rules "subject-pattern=topic" (NATS wildcards), first match wins.',
    }),
    deadLetterTopic: string({ default: "eda.bridge.dead-letter", description: "Topic for poison messages." }),
  },
  pipeline: {
    maxBatchRecords: integer({
      default: 2000,
      min: livePipelineSettings.maxBatchRecords.min,
      description: "Most records in one Kafka produce request.",
    }),
    maxBatchBytes: integer({
      default: 800_000,
      min: livePipelineSettings.maxBatchBytes.min,
      description: "Most bytes in one produce request.",
    }),
    maxRecordBytes: integer({
      default: 1_000_000,
      min: livePipelineSettings.maxRecordBytes.min,
      description: "Larger records are poison (keep below the broker's message.max.bytes).",
    }),
    produceTimeoutMs: integer({
      default: 120_000,
      min: livePipelineSettings.produceTimeoutMs.min,
      description: "A produce not settled in this time counts as failed (naked), in ms.",
    }),
    maxInFlight: integer({
      default: 30_000,
      min: livePipelineSettings.maxInFlight.min,
      description:
        "Safety valve: beyond this many held messages new ones are naked (keep above nats.maxAckPending).",
    }),
    poisonMaxDeliveries: integer({
      default: 3,
      min: livePipelineSettings.poisonMaxDeliveries.min,
      description: "Delivery on which a poison message is dead-lettered and terminated.",
    }),
    backoffInitialMs: integer({
      default: 250,
      min: livePipelineSettings.backoffInitialMs.min,
      description: "First nak delay / produce pause, in ms.",
    }),
    backoffMaxMs: integer({
      default: 10_000,
      min: livePipelineSettings.backoffMaxMs.min,
      description: "Largest nak delay / produce pause, in ms.",
    }),
  },
  connectorConfig: {
    bucket: string({
      default: "",
      description: `NATS KV bucket of the shared connector configuration (routing and live pipeline settings, written through the admin), e.g. "${ConnectorConfigLocation.bucket}"; empty: off, this file's topics and pipeline settings apply.`,
    }),
    key: string({
      default: ConnectorConfigLocation.key,
      description: "Key of the bridges' configuration in the bucket.",
    }),
    replicas: integer({
      default: 1,
      min: 1,
      max: 5,
      description: "Replicas of the bucket when this instance creates it (3 on a 3-node cluster).",
    }),
  },
});

/** The loaded bridge configuration plus the parsed routing rules. */
export type BridgeConfig = InferConfig<typeof bridgeConfigSchema> & {
  readonly topicRules: readonly TopicRule[];
};

/**
 * Loads and checks the bridge configuration (pure: env and file are arguments).
 * @throws ConfigError listing every problem at once.
 */
export function loadBridgeConfig(env: Env, file?: ConfigFile): BridgeConfig {
  const base = loadConfig(bridgeConfigSchema, env, file, bridgeChecks);
  const { rules } = parseTopicRules(base.topics.rules.join(","));
  return Object.freeze({ ...base, topicRules: Object.freeze(rules) });
}

/** Rules that span fields or need parsing: topic rules, topic names, replication. */
function bridgeChecks(config: InferConfig<typeof bridgeConfigSchema>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const p of parseTopicRules(config.topics.rules.join(",")).problems) {
    issues.push({ path: "topics.rules", source: "config", expected: '"subject-pattern=topic"', got: p });
  }
  for (const [path, topic] of [
    ["topics.defaultTopic", config.topics.defaultTopic],
    ["topics.deadLetterTopic", config.topics.deadLetterTopic],
  ] as const) {
    if (!isValidTopicName(topic)) {
      issues.push({
        path,
        source: "config",
        expected: "a Kafka topic name ([a-zA-Z0-9._-], ≤ 249)",
        got: `"${topic}"`,
      });
    }
  }
  if (config.kafka.minInsyncReplicas > config.kafka.replicationFactor) {
    issues.push({
      path: "kafka.minInsyncReplicas",
      source: "config",
      expected: `at most kafka.replicationFactor (${config.kafka.replicationFactor})`,
      got: String(config.kafka.minInsyncReplicas),
    });
  }
  return issues;
}

/** Every topic the bridge writes to (rule topics, the default and the dead-letter topic). */
export function bridgeTopics(config: BridgeConfig): string[] {
  return [
    ...new Set([
      ...config.topicRules.map((r) => r.topic),
      config.topics.defaultTopic,
      config.topics.deadLetterTopic,
    ]),
  ];
}
