import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, isLangtianError, LangtianError } from "./index.ts";

class SpoolFullError extends LangtianError {
  override readonly name = "SpoolFullError";
  override readonly code = ErrorCode.resourceExhausted;
}

describe("LangtianError", () => {
  it("carries its subclass's name, code, message and cause", () => {
    const cause = new Error("ENOSPC");
    const err = new SpoolFullError("the spool is full", { cause });
    assert.ok(err instanceof Error);
    assert.ok(isLangtianError(err));
    assert.equal(err.name, "SpoolFullError");
    assert.equal(err.code, "resource_exhausted");
    assert.equal(err.message, "the spool is full");
    assert.equal(err.cause, cause);
    assert.match(String(err.stack), /SpoolFullError: the spool is full/);
  });

  it("is not claimed by plain errors", () => {
    assert.equal(isLangtianError(new Error("x")), false);
    assert.equal(isLangtianError({ code: "internal", message: "x" }), false);
  });

  it("names every code like the standard RPC status codes", () => {
    for (const code of Object.values(ErrorCode)) assert.match(code, /^[a-z]+(_[a-z]+)*$/);
  });
});
