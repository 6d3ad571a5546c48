import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FetchResult, packRecords, unpackRecords } from "./kafka-fetch.ts";

describe("packRecords / unpackRecords", () => {
  it("hands every record over with its partition, position and exact bytes, in order", () => {
    const records = [
      { partition: "t:0", position: 5n, value: Uint8Array.of(1, 2, 3) },
      { partition: "t:1", position: 0n, value: new Uint8Array(0) },
      { partition: "t:0", position: 6n, value: new TextEncoder().encode("é😀") },
      { partition: "other:12", position: 2n ** 62n, value: Uint8Array.of(255) },
    ];
    const result: FetchResult = {
      records,
      reached: new Map(),
      highWatermarks: new Map(),
      leaderEpochs: new Map(),
    };
    const packed = packRecords(result);
    // Everything crosses the thread boundary in four buffers plus the partition names.
    assert.deepEqual(packed.partitions, ["t:0", "t:1", "other:12"]);
    assert.deepEqual(unpackRecords(packed), records);
  });

  it("hands over an empty fetch as no records", () => {
    const packed = packRecords({
      records: [],
      reached: new Map(),
      highWatermarks: new Map(),
      leaderEpochs: new Map(),
    });
    assert.deepEqual(unpackRecords(packed), []);
  });
});
