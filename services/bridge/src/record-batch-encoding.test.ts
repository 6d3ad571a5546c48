import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createRecord,
  createRecordsBatch,
  jsCRC32C,
  type MessageRecord,
  Reader,
  readRecordsBatch,
} from "@platformatic/kafka";

/**
 * The Kafka client is installed with the project's record-encoding patch (`patches/`, see
 * docs/DECISIONS.md): a batch's records are written into one buffer instead of a few small
 * buffers per field. These tests hold it to the client's own record writer byte for byte,
 * and fail if the patch stops being applied.
 */

/** Offset of the first record in a v2 record batch (the batch header's size). */
const RECORDS_OFFSET = 61;
/** The CRC covers the batch from its attributes (offset 21) on; it sits at offset 17. */
const CRC_OFFSET = 17;
const CRC_START = 21;

/** Small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s % n;
  };
}

function randomBytes(rnd: (n: number) => number): Buffer | undefined {
  const kind = rnd(10);
  if (kind === 0) return undefined; // null key/value/header value
  if (kind === 1) return Buffer.alloc(0);
  const bytes = Buffer.alloc(kind < 5 ? rnd(20) : 100 + rnd(400));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rnd(256);
  return bytes;
}

function randomMessages(
  rnd: (n: number) => number,
  firstTimestamp: bigint,
  spreadMs: number,
): MessageRecord[] {
  const count = 1 + rnd(60);
  return Array.from({ length: count }, (_, i) => {
    const headers = rnd(4) === 0 ? undefined : new Map<Buffer, Buffer | undefined>();
    const headerCount = rnd(14);
    for (let h = 0; headers !== undefined && h < headerCount; h++) {
      headers.set(Buffer.from(`h-${h}`), randomBytes(rnd));
    }
    // Timestamps around the first one, earlier ones too (negative deltas).
    const offset = i === 0 ? 0 : rnd(spreadMs) - Math.floor(spreadMs / 3);
    return {
      topic: "t",
      partition: 0,
      key: randomBytes(rnd),
      value: randomBytes(rnd),
      headers,
      timestamp: firstTimestamp + BigInt(offset),
    } as unknown as MessageRecord;
  });
}

/** What the client's record writer produces for the same messages, one record at a time. */
function recordByRecord(messages: readonly MessageRecord[]): Buffer {
  const first = messages[0]?.timestamp as bigint;
  return Buffer.concat(messages.map((m, i) => createRecord(m, i, first).buffer));
}

function batchOf(messages: MessageRecord[], compression: "none" | "gzip" = "none"): Buffer {
  const copies = messages.map((m) => ({ ...m }));
  return createRecordsBatch(copies, { producerId: 7n, producerEpoch: 1, compression }).buffer;
}

describe("record batch encoding (patched Kafka client)", () => {
  it("writes every record byte for byte as the client's record writer does", () => {
    const rnd = prng(20261127);
    for (let round = 0; round < 400; round++) {
      const messages = randomMessages(rnd, 1_764_000_000_000n + BigInt(rnd(1e6)), 200_000);
      const batch = batchOf(messages);
      assert.deepEqual(batch.subarray(RECORDS_OFFSET), recordByRecord(messages), `round ${round}`);
      assert.equal(
        batch.readUInt32BE(CRC_OFFSET),
        jsCRC32C(batch.subarray(CRC_START)),
        `CRC, round ${round}`,
      );
    }
  });

  it("falls back to the record writer for timestamps more than 2^30 ms apart", () => {
    const rnd = prng(42);
    const messages = randomMessages(rnd, 1_764_000_000_000n, 10);
    messages.push({ ...(messages[0] as MessageRecord), timestamp: 1_764_000_000_000n + 2n ** 31n });
    const batch = batchOf(messages);
    assert.deepEqual(batch.subarray(RECORDS_OFFSET), recordByRecord(messages));
  });

  it("reads back what it wrote, compressed too", () => {
    const rnd = prng(7);
    const messages = randomMessages(rnd, 1_764_000_000_000n, 1000);
    for (const compression of ["none", "gzip"] as const) {
      const read = readRecordsBatch(Reader.from(batchOf(messages, compression)));
      assert.equal(read.records.length, messages.length);
      read.records.forEach((record, i) => {
        const sent = messages[i] as MessageRecord;
        assert.deepEqual(record.key ?? undefined, sent.key ?? undefined);
        assert.deepEqual(record.value ?? undefined, sent.value ?? undefined);
        assert.deepEqual(
          record.headers.map(([k, v]) => [k, v ?? undefined]),
          [...(sent.headers ?? new Map())].map(([k, v]) => [k, v ?? undefined]),
        );
      });
    }
  });

  it("is the installed client's encoder: a batch's records are one buffer", () => {
    const rnd = prng(3);
    const messages = randomMessages(rnd, 1_764_000_000_000n, 10);
    const writer = createRecordsBatch(messages.map((m) => ({ ...m })));
    const recordsBytes = recordByRecord(messages).length;
    // Without the patch each record adds several buffers; with it, one holds them all.
    assert.ok(
      writer.buffers.some((b) => b.length === recordsBytes),
      "no single buffer holds the records: is patches/@platformatic+kafka+2.12.1.patch applied (npm install runs it)?",
    );
  });
});
