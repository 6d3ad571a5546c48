import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope, EventHeader } from "@langtian/envelope";
import {
  decodeOutboundEvent,
  encodeOutboundEvent,
  eventHeaderLines,
  type OutboundEvent,
  SpoolRecordFormatError,
} from "./outbound-event.ts";

const event: OutboundEvent = {
  subject: "eda.events.device.telemetry",
  msgId: "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20",
  data: Uint8Array.of(1, 2, 3),
  receivedAtMs: 1_795_000_000_123,
};

/** The record layout before header lines existed, written out by hand. */
function olderLayout(e: OutboundEvent): Uint8Array {
  const subject = Buffer.from(e.subject);
  const id = Buffer.from(e.msgId);
  const head = Buffer.alloc(8 + 2);
  head.writeDoubleBE(e.receivedAtMs, 0);
  head.writeUInt16BE(subject.length, 8);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(id.length, 0);
  return Buffer.concat([head, subject, idLength, id, e.data]);
}

describe("spool record of an outbound event", () => {
  it("round-trips with and without header lines; without them it is the older layout", () => {
    const lines = "langtian-event-id: x\r\nlangtian-source-system: plant-ä\r\n";
    const withLines = decodeOutboundEvent(encodeOutboundEvent({ ...event, eventHeaderLines: lines }));
    assert.deepEqual(
      { ...withLines, data: [...withLines.data] },
      { ...event, data: [1, 2, 3], eventHeaderLines: lines },
    );
    const plain = encodeOutboundEvent(event);
    assert.deepEqual(Buffer.from(plain), Buffer.from(olderLayout(event)));
    const back = decodeOutboundEvent(plain);
    assert.deepEqual({ ...back, data: [...back.data] }, { ...event, data: [1, 2, 3] });
    assert.equal("eventHeaderLines" in back, false);
  });

  it("refuses a record from a newer layout with a clear error", () => {
    const record = Buffer.from(encodeOutboundEvent({ ...event, eventHeaderLines: "a: b\r\n" }));
    record[1] = 9;
    assert.throws(() => decodeOutboundEvent(record), SpoolRecordFormatError);
  });
});

describe("eventHeaderLines", () => {
  const envelope = createEnvelope({
    eventId: event.msgId,
    eventType: "device.telemetry",
    eventTime: new Date(Date.UTC(2026, 11, 2, 9, 30)),
    schemaVersion: "1.0",
    sourceSystem: "plant-a",
    partitionKey: "dev-1",
    payloadType: "application/json",
    payload: new Uint8Array(),
  });

  it("writes one `name: value` line per metadata header", () => {
    assert.equal(
      eventHeaderLines(envelope, 10_000),
      [
        `${EventHeader.eventId}: ${event.msgId}`,
        `${EventHeader.eventType}: device.telemetry`,
        `${EventHeader.eventTimestamp}: 2026-12-02T09:30:00.000Z`,
        `${EventHeader.schemaVersion}: 1.0`,
        `${EventHeader.sourceSystem}: plant-a`,
        `${EventHeader.partitionKey}: dev-1`,
        `${EventHeader.payloadType}: application/json`,
        "",
      ].join("\r\n"),
    );
  });

  it("leaves them out when they do not fit the room the stream's size limit leaves", () => {
    const lines = eventHeaderLines(envelope, 10_000) ?? assert.fail();
    assert.equal(eventHeaderLines(envelope, Buffer.byteLength(lines)), lines);
    assert.equal(eventHeaderLines(envelope, Buffer.byteLength(lines) - 1), undefined);
  });
});
