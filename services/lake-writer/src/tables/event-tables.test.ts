import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import { createDeviceEnvelope, devicePayloadRegistry, encodeEnvelope } from "@langtian/envelope";
import { TelemetrySchema } from "@langtian/proto";
import { routeRecord } from "./event-tables.ts";

const origin = { source: "kafka:t", partition: "0", position: 7n };

function telemetryEnvelope(extraPayloadBytes: Uint8Array = new Uint8Array()) {
  const envelope = createDeviceEnvelope({
    sourceSystem: "test/event-tables",
    eventTime: new Date(Date.UTC(2026, 10, 27)),
    payload: {
      kind: "telemetry",
      message: create(TelemetrySchema, { deviceId: "dev-1", sequence: 5n }),
    },
  });
  envelope.payload = new Uint8Array([...envelope.payload, ...extraPayloadBytes]);
  return envelope;
}

describe("routeRecord keeps what the typed columns cannot hold", () => {
  it("keeps the raw payload of a known type only when it carries fields the registry does not know", () => {
    // Field 99, varint 42: a field a newer schema version added.
    const newer = telemetryEnvelope(new Uint8Array([0x98, 0x06, 42]));
    const routed = routeRecord(encodeEnvelope(newer), origin, devicePayloadRegistry);
    assert.equal(routed.kind, "row");
    if (routed.kind !== "row") return;
    const column = (name: string) => routed.row[routed.spec.columns.findIndex((c) => c.name === name)];
    assert.equal(column("device_id"), "dev-1", "the known fields still fill their columns");
    assert.deepEqual(column("payload"), newer.payload, "the raw payload is kept for a later back-fill");
    const decoded = fromBinary(TelemetrySchema, column("payload") as Uint8Array);
    assert.equal(decoded.$unknown?.[0]?.no, 99);

    const current = routeRecord(encodeEnvelope(telemetryEnvelope()), origin, devicePayloadRegistry);
    assert.equal(current.kind, "row");
    if (current.kind !== "row") return;
    assert.equal(current.spec, routed.spec, "both land in the same table layout");
    assert.equal(current.row[current.spec.columns.findIndex((c) => c.name === "payload")], null);
  });
});
