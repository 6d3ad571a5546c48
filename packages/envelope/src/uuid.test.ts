import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventIdInputError } from "./errors.ts";
import { createUuidV7Generator, deterministicEventId, uuidVersion, uuidv7 } from "./uuid.ts";

describe("uuidv7", () => {
  it("returns canonical lower-case version-7 UUIDs", () => {
    const id = uuidv7();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(uuidVersion(id), 7);
  });

  it("encodes the clock's millisecond in the first 48 bits", () => {
    const ms = Date.UTC(2026, 10, 27, 12, 0, 0, 123);
    const id = createUuidV7Generator(() => ms)();
    assert.equal(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16), ms);
  });

  it("strictly increases within one millisecond", () => {
    const next = createUuidV7Generator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 10_000 }, next);
    for (let i = 1; i < ids.length; i++)
      assert.ok((ids[i - 1] ?? "") < (ids[i] ?? ""), `id ${i} not greater`);
    assert.equal(new Set(ids).size, ids.length);
  });

  it("keeps increasing when the clock steps backwards", () => {
    const times = [2_000_000, 2_000_000, 1_000_000, 1_500_000, 2_000_001];
    const next = createUuidV7Generator(() => times.shift() ?? 0);
    const ids = Array.from({ length: 5 }, next);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, 5);
  });
});

describe("deterministicEventId", () => {
  it("returns the same UUIDv5 for the same source, device and sequence", () => {
    const a = deterministicEventId("plant-a/line-3", "press-7", 42n);
    assert.equal(a, deterministicEventId("plant-a/line-3", "press-7", 42));
    assert.equal(uuidVersion(a), 5);
  });

  it("matches the RFC 9562 UUIDv5 of the documented name (reproducible in other languages)", () => {
    // Computed independently with Python: uuid.uuid5(UUID(eventIdNamespace), "plant-a\0dev-1\0" + "7").
    assert.equal(deterministicEventId("plant-a", "dev-1", 7n), "b61d9933-6a7c-5d85-9f74-dec6f71399a5");
  });

  it("differs when any part differs, including where a separator could be moved", () => {
    const ids = new Set([
      deterministicEventId("s", "d", 1),
      deterministicEventId("s", "d", 2),
      deterministicEventId("s", "e", 1),
      deterministicEventId("t", "d", 1),
      deterministicEventId("a/b", "c", 1),
      deterministicEventId("a", "b/c", 1),
    ]);
    assert.equal(ids.size, 6);
  });

  it("rejects empty parts, NUL characters and negative or unsafe sequences", () => {
    assert.throws(() => deterministicEventId("", "d", 1), EventIdInputError);
    assert.throws(() => deterministicEventId("s", "d\u0000x", 1), /deviceId must not contain NUL/);
    assert.throws(() => deterministicEventId("s", "d", -1), /must not be negative/);
    assert.throws(() => deterministicEventId("s", "d", 2 ** 60), /safe integer/);
  });
});

describe("uuidVersion", () => {
  it("rejects upper case, braces and wrong variants", () => {
    assert.equal(uuidVersion("0190A6E4-7C3B-7D2E-9F1A-3B5C7D9E1F20"), undefined);
    assert.equal(uuidVersion("{0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20}"), undefined);
    assert.equal(uuidVersion("0190a6e4-7c3b-7d2e-cf1a-3b5c7d9e1f20"), undefined);
    assert.equal(uuidVersion("0190a6e4-7c3b-4d2e-9f1a-3b5c7d9e1f20"), 4);
  });
});
