import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { EventFilterSchema } from "@langtian/proto";
import { BadRequestError } from "../lake/lake-catalog.ts";
import { decodeCursor, encodeCursor } from "./browse-cursor.ts";

describe("browse cursor", () => {
  it("round-trips the snapshot, filter, direction, page size and key", () => {
    const cursor = {
      snapshot: 9_007_199_254_740_993n,
      filter: create(EventFilterSchema, { table: "device_telemetry_v1", sourceSystem: "plant-a" }),
      backward: true,
      pageSize: 250,
      after: { timestamp: "2026-11-27T12:00:00.000123Z", eventId: "0190b7c0-0000-7000-8000-000000000001" },
    };
    const decoded = decodeCursor(encodeCursor(cursor));
    assert.equal(decoded.snapshot, cursor.snapshot);
    assert.equal(decoded.filter.table, "device_telemetry_v1");
    assert.equal(decoded.filter.sourceSystem, "plant-a");
    assert.equal(decoded.backward, true);
    assert.equal(decoded.pageSize, 250);
    assert.deepEqual(decoded.after, cursor.after);
  });

  it("refuses anything else as invalid_argument", () => {
    const forged = (json: unknown) => Buffer.from(JSON.stringify(json)).toString("base64url");
    for (const text of [
      "garbage",
      "",
      forged({ v: 2 }),
      forged({ v: 1, s: "-1", f: {}, b: false, n: 10, t: "2026-01-01T00:00:00Z", i: "x" }),
      forged({ v: 1, s: "5", f: { nope: 1 }, b: false, n: 10, t: "2026-01-01T00:00:00Z", i: "x" }),
      forged({ v: 1, s: "5", f: {}, b: false, n: 10, t: "not a time", i: "x" }),
    ])
      assert.throws(() => decodeCursor(text), BadRequestError, text);
  });
});
