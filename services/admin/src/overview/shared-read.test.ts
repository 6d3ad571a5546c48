import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sharedRead } from "./shared-read.ts";

describe("shared read", () => {
  it("gives every caller during a read, and within the max age after it, the same result", async () => {
    let now = 0;
    let reads = 0;
    const read = sharedRead(
      async () => ++reads,
      500,
      () => now,
    );
    const [a, b] = await Promise.all([read(), read()]);
    assert.deepEqual([a, b, reads], [1, 1, 1]);
    now = 400;
    assert.equal(await read(), 1, "still fresh");
    now = 901;
    assert.equal(await read(), 2, "older than the max age: read again");
    assert.equal(reads, 2);
  });

  it("does not keep a failed read", async () => {
    let fail = true;
    const read = sharedRead(async () => {
      if (fail) throw new Error("down");
      return "ok";
    }, 500);
    await assert.rejects(read(), /down/);
    fail = false;
    assert.equal(await read(), "ok");
  });
});
