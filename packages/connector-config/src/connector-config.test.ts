import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkConnectorConfig,
  diffConnectorConfigs,
  formatConnectorConfig,
  livePipelineSettings,
  routeSamples,
} from "./index.ts";

const valid = {
  topics: {
    rules: ["eda.*.alarm=alarms", "eda.>=events"],
    defaultTopic: "other",
    deadLetterTopic: "dlq",
  },
  pipeline: { maxBatchRecords: 500, maxInFlight: 10_000 },
};

function ok(value: unknown) {
  const check = checkConnectorConfig(value);
  assert.ok(check.ok, check.ok ? "" : check.problems.join("; "));
  return check;
}

function problems(value: unknown): readonly string[] {
  const check = checkConnectorConfig(value);
  assert.equal(check.ok, false);
  return check.ok ? [] : check.problems;
}

describe("checkConnectorConfig", () => {
  it("accepts a valid value, as JSON text or parsed, with its rules in order", () => {
    for (const value of [valid, JSON.stringify(valid)]) {
      const check = ok(value);
      assert.deepEqual(check.rules, [
        { subject: "eda.*.alarm", topic: "alarms" },
        { subject: "eda.>", topic: "events" },
      ]);
      assert.deepEqual(check.config.pipeline, { maxBatchRecords: 500, maxInFlight: 10_000 });
    }
  });

  it("accepts a value without pipeline settings (each bridge keeps its own)", () => {
    const check = ok({ topics: valid.topics });
    assert.deepEqual(check.config.pipeline, {});
  });

  it("refuses what the bridge's own configuration refuses, listing every problem", () => {
    const found = problems({
      topics: {
        rules: ["eda.*.alarm=alarms", "no-equals", "eda.>.x=t", "a=bad topic", "a=b,c=d"],
        defaultTopic: "",
        deadLetterTopic: "..",
      },
      pipeline: { maxBatchRecords: 0, maxBatchBytes: 1.5, produceTimeoutMs: "100", maxBatchSize: 1 },
      extra: true,
    });
    const expected = [
      /unknown field "extra"/,
      /topics\.rules\[1\]: topic rule "no-equals" is not "subject-pattern=topic"/,
      /topics\.rules\[2\].*not a valid NATS subject pattern/,
      /topics\.rules\[3\].*not a valid Kafka topic name/,
      /topics\.rules\[4\]/,
      /"topics\.defaultTopic" must be a Kafka topic name/,
      /"topics\.deadLetterTopic" must be a Kafka topic name/,
      /"pipeline\.maxBatchRecords" must be an integer ≥ 1, got 0/,
      /"pipeline\.maxBatchBytes" must be an integer ≥ 1024, got 1\.5/,
      /"pipeline\.produceTimeoutMs" must be an integer ≥ 100, got "100"/,
      /unknown field "pipeline\.maxBatchSize"/,
    ];
    assert.equal(found.length, expected.length, found.join("\n"));
    for (const re of expected)
      assert.ok(
        found.some((p) => re.test(p)),
        `${re} in:\n${found.join("\n")}`,
      );
  });

  it("refuses text that is not a JSON object, and a value without topics", () => {
    assert.match(problems("{nope")[0] ?? "", /^not JSON/);
    assert.deepEqual(problems("[]"), ["the value must be a JSON object"]);
    assert.deepEqual(problems({}), ['"topics" must be an object']);
    assert.match(problems({ topics: { ...valid.topics, rules: "a=b" } })[0] ?? "", /must be a list/);
  });

  it("checks every live setting against its bound", () => {
    for (const [name, { min }] of Object.entries(livePipelineSettings)) {
      ok({ topics: valid.topics, pipeline: { [name]: min } });
      if (min > 0) problems({ topics: valid.topics, pipeline: { [name]: min - 1 } });
    }
  });
});

describe("formatConnectorConfig", () => {
  it("stores one form whatever the field order and spacing, and reads back the same", () => {
    const a = ok(valid).config;
    const b = ok(
      `{"pipeline":{"maxInFlight":10000,"maxBatchRecords":500},"topics":{"deadLetterTopic":"dlq","defaultTopic":"other","rules":[" eda.*.alarm = alarms ","eda.>=events"]}}`,
    ).config;
    assert.equal(formatConnectorConfig(a), formatConnectorConfig(b));
    assert.deepEqual(ok(formatConnectorConfig(a)).config, a);
    assert.match(formatConnectorConfig(a), /^\{\n {2}"topics": \{/);
  });
});

describe("routeSamples", () => {
  it("answers the topic each subject is routed to: first matching rule, else the default", () => {
    const check = ok(valid);
    assert.deepEqual(
      routeSamples(check.rules, check.config.topics.defaultTopic, [
        "eda.d1.alarm",
        "eda.d1.telemetry",
        "x.y",
        "eda.*",
      ]),
      [
        { subject: "eda.d1.alarm", topic: "alarms", rule: "eda.*.alarm=alarms", problem: "" },
        { subject: "eda.d1.telemetry", topic: "events", rule: "eda.>=events", problem: "" },
        { subject: "x.y", topic: "other", rule: "", problem: "" },
        { subject: "eda.*", topic: "", rule: "", problem: "not a concrete NATS subject (no wildcards)" },
      ],
    );
  });
});

describe("diffConnectorConfigs", () => {
  it("lists changed rules by position, topics and settings; nothing for equal values", () => {
    const a = ok(valid).config;
    const b = ok({
      topics: { rules: ["eda.>=events"], defaultTopic: "other", deadLetterTopic: "dlq2" },
      pipeline: { maxBatchRecords: 500, maxBatchBytes: 2048 },
    }).config;
    assert.deepEqual(diffConnectorConfigs(a, b), [
      { path: "topics.rules[0]", from: '"eda.*.alarm=alarms"', to: '"eda.>=events"' },
      { path: "topics.rules[1]", from: '"eda.>=events"', to: "" },
      { path: "topics.deadLetterTopic", from: '"dlq"', to: '"dlq2"' },
      { path: "pipeline.maxBatchBytes", from: "", to: "2048" },
      { path: "pipeline.maxInFlight", from: "10000", to: "" },
    ]);
    assert.deepEqual(diffConnectorConfigs(a, a), []);
    assert.equal(diffConnectorConfigs(undefined, a).length, 6);
  });
});
