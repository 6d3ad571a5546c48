import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope } from "./create-envelope.ts";
import { EventHeader, eventHeaderEntries, isoToMs, timestampToIso } from "./event-headers.ts";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

function envelope(overrides: { partitionKey?: string; sourceSystem?: string; traced?: boolean } = {}) {
  return createEnvelope({
    eventId: "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20",
    eventType: "device.telemetry",
    eventTime: new Date(Date.UTC(2026, 11, 2, 9, 30, 0, 42)),
    schemaVersion: "1.0",
    sourceSystem: overrides.sourceSystem ?? "plant-ä/line-3",
    ...(overrides.partitionKey === undefined ? {} : { partitionKey: overrides.partitionKey }),
    payload: new Uint8Array([1]),
    payloadType: "application/octet-stream",
    ...(overrides.traced === true ? { traceContext: { traceparent, tracestate: "" } } : {}),
  });
}

describe("event headers", () => {
  it("lists the metadata a reader of the envelope derives, optional fields only when set", () => {
    assert.deepEqual(eventHeaderEntries(envelope({ partitionKey: "dev-7", traced: true })), [
      [EventHeader.eventId, "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20"],
      [EventHeader.eventType, "device.telemetry"],
      [EventHeader.eventTimestamp, "2026-12-02T09:30:00.042Z"],
      [EventHeader.schemaVersion, "1.0"],
      [EventHeader.sourceSystem, "plant-ä/line-3"],
      [EventHeader.partitionKey, "dev-7"],
      [EventHeader.payloadType, "application/octet-stream"],
      [EventHeader.traceparent, traceparent],
    ]);
    const names = eventHeaderEntries(envelope())?.map(([name]) => name);
    assert.equal(names?.includes(EventHeader.partitionKey), false);
    assert.equal(names?.includes(EventHeader.traceparent), false);
  });

  it("gives none when a value would not survive a text header unchanged", () => {
    assert.equal(eventHeaderEntries(envelope({ partitionKey: "dev\r\n7" })), undefined);
    assert.equal(eventHeaderEntries(envelope({ partitionKey: " dev-7" })), undefined);
    assert.equal(eventHeaderEntries(envelope({ partitionKey: "dev-7\t" })), undefined);
    assert.notEqual(eventHeaderEntries(envelope({ partitionKey: "dev 7: ok" })), undefined);
  });
});

describe("ISO timestamps", () => {
  it("formats exactly as Date.toISOString, across seconds and before 1970", () => {
    for (const ms of [
      0, 7, 42, 999, 1000, 1_795_000_000_123, 1_795_000_000_005, 1_795_000_001_050, -1, -1001,
    ]) {
      const seconds = Math.floor(ms / 1000);
      const nanos = (ms - seconds * 1000) * 1_000_000 + 999_999;
      assert.equal(timestampToIso({ seconds: BigInt(seconds), nanos }), new Date(ms).toISOString());
    }
  });

  it("parses what it formats back to the millisecond, in and across cached seconds", () => {
    for (const ms of [
      1_795_000_000_123,
      1_795_000_000_124,
      1_795_000_000_999,
      1_795_000_001_000,
      0,
      -1,
      -1001,
      Date.UTC(1, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ]) {
      assert.equal(isoToMs(new Date(ms).toISOString()), ms, new Date(ms).toISOString());
    }
  });

  it("refuses other layouts and impossible dates, also right after a cached second", () => {
    isoToMs("2026-02-28T10:00:00.000Z");
    for (const bad of [
      "",
      "2026-02-28T10:00:00Z",
      "2026-02-28T10:00:00.00Z",
      "2026-02-28T10:00:00.0x0Z",
      "2026-02-28T10:00:00.000+01:00",
      "2026-02-30T10:00:00.000Z",
      "2026-02-28T24:00:00.000Z",
      "2026-02-28 10:00:00.000Z",
      "+012026-02-28T10:00:00.000Z",
      "yesterday, noon",
    ]) {
      assert.equal(isoToMs(bad), undefined, bad);
    }
  });
});
