import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, redactConfig } from "@langtian/service-kit";
import { bridgeConfigSchema, bridgeTopics, loadBridgeConfig } from "./config.ts";

/** The ConfigError `load` throws (fails the test when it does not throw one). */
function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("the configuration was accepted");
}

describe("bridge config", () => {
  it("defaults to one local NATS and Kafka, shared mode and the default and dead-letter topics", () => {
    const config = loadBridgeConfig({});
    assert.equal(config.port, 4102);
    assert.equal(config.nats.url, "nats://127.0.0.1:4222");
    assert.equal(config.nats.stream, "EDA_EVENTS");
    assert.equal(config.nats.durable, "bridge");
    assert.equal(config.nats.ordered, false);
    assert.equal(config.nats.fetchExpiresMs, 5000);
    assert.deepEqual(config.kafka.bootstrap, ["127.0.0.1:9092"]);
    assert.equal(config.kafka.retries, 3);
    assert.equal(config.topics.headers, "full");
    assert.equal(config.topics.defaultTopic, "eda.events");
    assert.equal(config.topics.deadLetterTopic, "eda.bridge.dead-letter");
    assert.deepEqual(config.topicRules, []);
    assert.equal(config.pipeline.poisonMaxDeliveries, 3);
    assert.deepEqual(bridgeTopics(config), ["eda.events", "eda.bridge.dead-letter"]);
    assert.ok(Object.isFrozen(config), "frozen");
    assert.ok(Object.isFrozen(config.topicRules), "rules frozen");
  });

  it("takes a file over the defaults and an env var over the file", () => {
    const config = loadBridgeConfig(
      {
        LANGTIAN_BRIDGE_NATS_STREAM: "FROM_ENV",
        LANGTIAN_BRIDGE_TOPICS_RULES: "eda.*.alarm=alarms,eda.>=events-all",
      },
      {
        nats: { stream: "FROM_FILE", durable: "file-durable" },
        kafka: { bootstrap: ["k1:9092", "k2:9092"] },
        topics: { rules: ["file.subject=file-topic"], deadLetterTopic: "dlq" },
      },
    );
    assert.equal(config.nats.stream, "FROM_ENV", "env wins over the file");
    assert.equal(config.nats.durable, "file-durable", "the file wins over the default");
    assert.deepEqual(config.kafka.bootstrap, ["k1:9092", "k2:9092"]);
    assert.deepEqual(config.topicRules, [
      { subject: "eda.*.alarm", topic: "alarms" },
      { subject: "eda.>", topic: "events-all" },
    ]);
    assert.equal(config.topics.deadLetterTopic, "dlq");
    assert.deepEqual(bridgeTopics(config), ["alarms", "events-all", "eda.events", "dlq"]);
  });

  it("refuses a topic rule that is not subject-pattern=topic, naming the rule", () => {
    const err = configErrorOf(() => loadBridgeConfig({ LANGTIAN_BRIDGE_TOPICS_RULES: "no-equals-sign" }));
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ["topics.rules"],
    );
    assert.match(err.message, /topics\.rules/);
    assert.match(err.message, /topic rule "no-equals-sign" is not "subject-pattern=topic"/);
  });

  it("refuses a rule with a bad NATS pattern or a bad Kafka topic name", () => {
    const err = configErrorOf(() =>
      loadBridgeConfig({}, { topics: { rules: ["eda.>.x=events", "eda.ok=bad topic!"] } }),
    );
    assert.equal(err.issues.length, 2);
    assert.match(err.message, /"eda\.>\.x" is not a valid NATS subject pattern/);
    assert.match(err.message, /"bad topic!" is not a valid Kafka topic name/);
  });

  it("refuses invalid default and dead-letter topic names, each by its path", () => {
    const err = configErrorOf(() =>
      loadBridgeConfig({
        LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: "has space",
        LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: "x".repeat(250),
      }),
    );
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ["topics.defaultTopic", "topics.deadLetterTopic"],
    );
    assert.match(
      err.message,
      /topics\.defaultTopic \(config\): expected a Kafka topic name .*, got "has space"/,
    );
  });

  it("refuses min.insync.replicas above the replication factor", () => {
    const err = configErrorOf(() =>
      loadBridgeConfig({
        LANGTIAN_BRIDGE_KAFKA_REPLICATION_FACTOR: "2",
        LANGTIAN_BRIDGE_KAFKA_MIN_INSYNC_REPLICAS: "3",
      }),
    );
    assert.deepEqual(
      err.issues.map((i) => [i.path, i.got]),
      [["kafka.minInsyncReplicas", "3"]],
    );
    assert.match(err.message, /expected at most kafka\.replicationFactor \(2\), got 3/);
    assert.equal(
      loadBridgeConfig({
        LANGTIAN_BRIDGE_KAFKA_REPLICATION_FACTOR: "3",
        LANGTIAN_BRIDGE_KAFKA_MIN_INSYNC_REPLICAS: "2",
      }).kafka.minInsyncReplicas,
      2,
    );
  });

  it("lists every field problem at once, then every cross-field problem at once", () => {
    const fields = configErrorOf(() =>
      loadBridgeConfig({ LANGTIAN_BRIDGE_KAFKA_RETRIES: "1", LANGTIAN_BRIDGE_NOT_A_FIELD: "x" }),
    );
    assert.deepEqual(
      fields.issues.map((i) => i.path),
      ["kafka.retries", "LANGTIAN_BRIDGE_NOT_A_FIELD"],
    );
    const cross = configErrorOf(() =>
      loadBridgeConfig({
        LANGTIAN_BRIDGE_TOPICS_RULES: "broken",
        LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: "..",
        LANGTIAN_BRIDGE_KAFKA_MIN_INSYNC_REPLICAS: "2",
      }),
    );
    assert.deepEqual(
      cross.issues.map((i) => i.path),
      ["topics.rules", "topics.defaultTopic", "kafka.minInsyncReplicas"],
    );
    assert.match(cross.message, /3 problems/);
  });

  it("redacts the operator token, its only secret", () => {
    const config = loadBridgeConfig({ LANGTIAN_BRIDGE_OPERATOR_TOKEN: "s3cret-operator-token" });
    assert.equal(config.operatorToken, "s3cret-operator-token");
    const shown = JSON.stringify(redactConfig(bridgeConfigSchema, config));
    assert.doesNotMatch(shown, /s3cret-operator-token/);
    assert.match(shown, /"operatorToken":"[^"]+"/);
  });
});
