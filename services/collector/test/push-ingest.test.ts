import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, toJson } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { uuidv7 } from "@langtian/envelope";
import { EnvelopeSchema, IngestRequestSchema } from "@langtian/proto";
import { testNatsUrl } from "@langtian/testing";
import type { NatsConnection } from "@nats-io/transport-node";
import { type CollectorApp, createApp } from "../src/app.ts";
import {
  connectTo,
  isolatedConfig,
  quietLog,
  readStream,
  waitForStreamCount,
} from "../src/testing/test-helpers.ts";

const utf8 = new TextEncoder();
const valid = (eventId = uuidv7()) =>
  create(EnvelopeSchema, {
    eventId,
    eventType: "erp.order_created",
    eventTimestamp: timestampNow(),
    schemaVersion: "1.0",
    sourceSystem: "erp",
    partitionKey: "order-1",
    payload: utf8.encode('{"order":1}'),
    payloadType: "application/json",
  });

describe("push ingest (real nats-server)", () => {
  let app: CollectorApp;
  let nc: NatsConnection;
  let config: ReturnType<typeof isolatedConfig>;

  before(async () => {
    const url = await testNatsUrl();
    config = isolatedConfig(url, { udp: { listeners: [] } });
    app = createApp(config, { logDestination: quietLog });
    await app.start();
    nc = await connectTo(url);
  });

  after(async () => {
    await app?.stop();
    await nc?.close();
  });

  it("Ingest accepts the valid events of a mixed batch and reports each invalid one precisely", async () => {
    const resent = valid();
    const noId = valid("");
    const badType = valid();
    badType.eventType = "Order Created";
    badType.schemaVersion = "";
    const badTrace = valid();
    badTrace.traceContext = {
      $typeName: "langtian.envelope.v1.TraceContext",
      traceparent: "nope",
      tracestate: "",
    };
    const request = create(IngestRequestSchema, { events: [resent, badType, noId, badTrace, resent] });
    const response = await app.service.fastify.inject({
      method: "POST",
      url: "/langtian.collector.v1.CollectorService/Ingest",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(toJson(IngestRequestSchema, request)),
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.acceptedCount, 3);
    assert.deepEqual(
      body.accepted.map((a: { index?: number; outcome: string }) => [a.index ?? 0, a.outcome]),
      [
        [0, "INGEST_OUTCOME_PUBLISHED"],
        [2, "INGEST_OUTCOME_PUBLISHED"],
        [4, "INGEST_OUTCOME_DUPLICATE"],
      ],
    );
    assert.match(body.accepted[1].eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    assert.deepEqual(
      body.errors.map((e: { index: number; code: string; violations: { path: string; rule: string }[] }) => [
        e.index,
        e.code,
        e.violations.map((v) => `${v.path}:${v.rule}`),
      ]),
      [
        [1, "invalid_envelope", ["event_type:event_type", "schema_version:required"]],
        [3, "invalid_envelope", ["trace_context.traceparent:traceparent"]],
      ],
    );
    await waitForStreamCount(nc, config.stream.name, 2);
    const stored = await readStream(nc, config.stream.name);
    assert.deepEqual(
      stored.map((m) => m.envelope.eventId),
      [resent.eventId, body.accepted[1].eventId],
    );
    assert.equal(stored[0]?.subject, `${config.stream.subjectPrefix}.erp.order_created`);
    assert.ok(stored[0]?.envelope.receivedTimestamp);
  });

  it("scopes JetStream's duplicate check by source: one source's id cannot suppress another's event", async () => {
    const before = (await readStream(nc, config.stream.name)).length;
    const id = uuidv7();
    const mine = valid(id);
    const theirs = valid(id);
    theirs.sourceSystem = "payroll";
    const request = create(IngestRequestSchema, { events: [mine, theirs, mine] });
    const response = await app.service.fastify.inject({
      method: "POST",
      url: "/langtian.collector.v1.CollectorService/Ingest",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(toJson(IngestRequestSchema, request)),
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(
      response.json().accepted.map((a: { outcome: string }) => a.outcome),
      ["INGEST_OUTCOME_PUBLISHED", "INGEST_OUTCOME_PUBLISHED", "INGEST_OUTCOME_DUPLICATE"],
      "the same source's resend is still a duplicate",
    );
    await waitForStreamCount(nc, config.stream.name, before + 2);
    const stored = (await readStream(nc, config.stream.name)).slice(before);
    assert.deepEqual(
      stored.map((m) => m.envelope.sourceSystem),
      ["erp", "payroll"],
    );
  });

  it("the HTTP JSON endpoint reports unparseable entries per event and accepts the rest", async () => {
    const good = toJson(EnvelopeSchema, valid());
    const telemetry = {
      eventType: "device.telemetry",
      eventTimestamp: new Date().toISOString(),
      schemaVersion: "1.0",
      sourceSystem: "scada",
      payloadType: "langtian.device.v1.Telemetry",
      payload: { deviceId: "d-9", sequence: "4", readings: [{ metric: "temperature", doubleValue: 20.5 }] },
    };
    const response = await app.service.fastify.inject({
      method: "POST",
      url: "/v1/events",
      payload: { events: [good, { eventTimestamp: "not a time" }, telemetry, "text"] },
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.acceptedCount, 2);
    assert.deepEqual(
      body.errors.map((e: { index: number; code: string }) => [e.index, e.code]),
      [
        [1, "invalid_json"],
        [3, "invalid_json"],
      ],
    );
    const bad = await app.service.fastify.inject({ method: "POST", url: "/v1/events", payload: { nope: 1 } });
    assert.equal(bad.statusCode, 400);
  });

  it("refuses a batch over the limit as a whole", async () => {
    const request = create(IngestRequestSchema, { events: Array.from({ length: 1_001 }, () => valid()) });
    const response = await app.service.fastify.inject({
      method: "POST",
      url: "/langtian.collector.v1.CollectorService/Ingest",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(toJson(IngestRequestSchema, request)),
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, "invalid_argument");
  });

  it("refuses events larger than the stream takes instead of letting them block the spool", async () => {
    const small = createApp(isolatedConfig(await testNatsUrl(), { stream: { maxMsgBytes: 1_024 } }), {
      logDestination: quietLog,
    });
    try {
      await small.start();
      const big = valid();
      big.payload = new Uint8Array(2_000);
      const request = create(IngestRequestSchema, { events: [big, valid()] });
      const response = await small.service.fastify.inject({
        method: "POST",
        url: "/langtian.collector.v1.CollectorService/Ingest",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify(toJson(IngestRequestSchema, request)),
      });
      const body = response.json();
      assert.equal(body.acceptedCount, 1);
      assert.deepEqual(
        body.errors.map((e: { index?: number; code: string }) => [e.index ?? 0, e.code]),
        [[0, "too_large"]],
      );
    } finally {
      await small.stop();
    }
  });
});
