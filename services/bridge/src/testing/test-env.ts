import { uniqueName } from "@langtian/testing";

/** Names of one isolated bridge set-up (stream, subjects, consumer, topics). */
export interface TestNames {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly durable: string;
  readonly topic: string;
  readonly deadLetterTopic: string;
}

/** Fresh names so tests sharing one nats-server and one Kafka never see each other's data. */
export function testNames(prefix: string): TestNames {
  const base = uniqueName(prefix);
  return {
    stream: base,
    subjectPrefix: `t.${base}`,
    durable: `bridge_${base}`,
    topic: `${base}.events`,
    deadLetterTopic: `${base}.dlq`,
  };
}

/**
 * Environment of a bridge bound to `names` (the form `main.ts` reads, so the same values
 * serve in-process apps and child processes). Small timings keep tests fast.
 */
export function testBridgeEnv(
  servers: { natsUrl: string; kafkaBootstrap: string },
  names: TestNames,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    LANGTIAN_BRIDGE_PORT: "0",
    LANGTIAN_BRIDGE_LOG_LEVEL: "warn",
    LANGTIAN_BRIDGE_NATS_URL: servers.natsUrl,
    LANGTIAN_BRIDGE_NATS_STREAM: names.stream,
    LANGTIAN_BRIDGE_NATS_STREAM_SUBJECTS: `${names.subjectPrefix}.>`,
    LANGTIAN_BRIDGE_NATS_STREAM_MAX_BYTES: String(128 * 1024 ** 2),
    LANGTIAN_BRIDGE_NATS_DURABLE: names.durable,
    LANGTIAN_BRIDGE_NATS_CONSUMER_INFO_INTERVAL_MS: "500",
    LANGTIAN_BRIDGE_NATS_FETCH_EXPIRES_MS: "2000",
    LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: servers.kafkaBootstrap,
    LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "3",
    LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: names.topic,
    LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: names.deadLetterTopic,
    LANGTIAN_BRIDGE_PIPELINE_BACKOFF_INITIAL_MS: "100",
    LANGTIAN_BRIDGE_PIPELINE_BACKOFF_MAX_MS: "1000",
    ...extra,
  };
}
