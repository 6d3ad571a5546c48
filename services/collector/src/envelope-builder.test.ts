import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { buildEnvelope, msToTimestamp } from "./envelope-builder.ts";

const defaults = { eventType: "device.telemetry", sourceSystem: "plant-a", schemaVersion: "1.0" };
const payload = new Uint8Array([1]);

describe("envelope building", () => {
  it("derives the same event id for a retransmit and a different one for the next sequence", () => {
    const a = buildEnvelope({ payload, payloadType: "x", deviceId: "d", sequence: "5" }, defaults, 1000);
    const b = buildEnvelope({ payload, payloadType: "x", deviceId: "d", sequence: "5" }, defaults, 9000);
    const c = buildEnvelope({ payload, payloadType: "x", deviceId: "d", sequence: "6" }, defaults, 1000);
    assert.equal(a.eventId, b.eventId);
    assert.notEqual(a.eventId, c.eventId);
    assert.match(a.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(a.partitionKey, "d");
  });

  it("uses a UUIDv7 and the receive time when the device sends neither sequence nor clock", () => {
    const e = buildEnvelope({ payload, payloadType: "x" }, defaults, 1_790_000_000_000);
    assert.match(e.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(timestampMs(e.eventTimestamp ?? assert.fail()), 1_790_000_000_000);
    assert.equal(e.partitionKey, undefined);
    assert.equal(e.sourceSystem, "plant-a");
  });

  it("prefers the device clock for event_timestamp and keeps the receive time separately", () => {
    const e = buildEnvelope({ payload, payloadType: "x", eventTimeMs: 5000 }, defaults, 9000);
    assert.equal(timestampMs(e.eventTimestamp ?? assert.fail()), 5000);
    assert.equal(timestampMs(e.receivedTimestamp ?? assert.fail()), 9000);
  });

  it("builds timestamps equal to protobuf-es' timestampFromMs", () => {
    for (const ms of [0, 1, 999, 1000, 1_790_000_000_123, -1, -1_500]) {
      assert.deepEqual(msToTimestamp(ms), timestampFromMs(ms), String(ms));
    }
  });
});
