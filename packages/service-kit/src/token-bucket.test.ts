import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenBucket } from "./token-bucket.ts";

describe("token bucket", () => {
  it("starts full, admits a request whole or not at all, and refills at its rate up to the burst", () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSec: 100, burst: 50, nowMs: () => now });
    assert.equal(bucket.tryTake(40), true);
    assert.equal(bucket.tryTake(20), false, "only 10 left: nothing is taken");
    assert.equal(bucket.available(), 10);
    assert.equal(bucket.msUntil(20), 100);
    now += 100;
    assert.equal(bucket.tryTake(20), true);
    now += 10_000;
    assert.equal(bucket.available(), 50, "never more than the burst");
    assert.equal(bucket.msUntil(51), Number.POSITIVE_INFINITY);
  });
});
