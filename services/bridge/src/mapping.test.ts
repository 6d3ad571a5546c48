import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { uuidv7 } from "@langtian/envelope";
import { EnvelopeSchema } from "@langtian/proto";
import {
  BridgeHeaders,
  createTopicRouter,
  HeaderSet,
  parseTopicRules,
  recordHeaders,
  recordKey,
  subjectMatches,
} from "./mapping.ts";
import { envelopeBytes } from "./testing/fakes.ts";

describe("subject patterns", () => {
  it("matches NATS wildcards: * one token, > the rest", () => {
    assert.ok(subjectMatches("a.*.c", "a.b.c"));
    assert.ok(!subjectMatches("a.*.c", "a.b.x.c"));
    assert.ok(subjectMatches("a.>", "a.b.c"));
    assert.ok(!subjectMatches("a.>", "a"));
    assert.ok(subjectMatches("a.b", "a.b"));
    assert.ok(!subjectMatches("a.b", "a.b.c"));
  });

  it("routes by the first matching rule, else to the default topic", () => {
    const router = createTopicRouter(
      [
        { subject: "events.device.telemetry", topic: "telemetry" },
        { subject: "events.device.>", topic: "devices" },
      ],
      "events",
    );
    assert.equal(router.topicFor("events.device.telemetry"), "telemetry");
    assert.equal(router.topicFor("events.device.alarm"), "devices");
    assert.equal(router.topicFor("events.other"), "events");
  });

  it("parses rules and lists every bad one", () => {
    const { rules, problems } = parseTopicRules("a.*=t1, b.>=t2, bad, c.>.d=t3, d=bad topic");
    assert.deepEqual(rules, [
      { subject: "a.*", topic: "t1" },
      { subject: "b.>", topic: "t2" },
    ]);
    assert.equal(problems.length, 3);
  });
});

describe("record mapping", () => {
  it("keys by partition_key, else by source_system", () => {
    const withKey = fromBinary(EnvelopeSchema, envelopeBytes({ partitionKey: "dev-7" }));
    const without = fromBinary(EnvelopeSchema, envelopeBytes({ sourceSystem: "plant-b" }));
    assert.equal(recordKey(withKey), "dev-7");
    assert.equal(recordKey(without), "plant-b");
  });

  it("carries envelope metadata, Nats-Msg-Id and traceparent in headers", () => {
    const id = uuidv7();
    const env = fromBinary(EnvelopeSchema, envelopeBytes({ eventId: id, eventMs: Date.UTC(2026, 0, 2) }));
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const h = recordHeaders(env, {
      subject: "events.x",
      streamSequence: 9,
      natsMsgId: id,
      traceparent: tp,
      tracestate: undefined,
    });
    assert.equal(h.get(BridgeHeaders.eventId), id);
    assert.equal(h.get(BridgeHeaders.eventType), "device.telemetry");
    assert.equal(h.get(BridgeHeaders.eventTimestamp), "2026-01-02T00:00:00.000Z");
    assert.equal(h.get(BridgeHeaders.natsMsgId), id);
    assert.equal(h.get(BridgeHeaders.traceparent), tp);
    assert.equal(h.get(BridgeHeaders.natsStreamSequence), "9");
    assert.equal(h.has(BridgeHeaders.tracestate), false);
  });

  it("carries only the ids and the trace context with the minimal header set", () => {
    const id = uuidv7();
    const env = fromBinary(EnvelopeSchema, envelopeBytes({ eventId: id }));
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const source = {
      subject: "events.x",
      streamSequence: 9,
      natsMsgId: id,
      traceparent: tp,
      tracestate: undefined,
    };
    const h = recordHeaders(env, source, HeaderSet.minimal);
    assert.deepEqual(
      [...h],
      [
        [BridgeHeaders.eventId, id],
        [BridgeHeaders.natsMsgId, id],
        [BridgeHeaders.traceparent, tp],
      ],
    );
    assert.equal(recordHeaders(env, source).size, 10, "full stays the default");
  });
});
