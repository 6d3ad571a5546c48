import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, LangtianError } from "@langtian/errors";
import {
  CheckTimeoutError,
  ConfigError,
  DrainHookError,
  OperatorAuthError,
  OperatorAuthFailure,
  RefusedError,
  toConnectError,
} from "./errors.ts";

describe("errors", () => {
  it("are named subclasses that keep their cause", () => {
    const cause = new Error("root");
    const err = new DrainHookError("flush", { cause });
    assert.equal(err.name, "DrainHookError");
    assert.equal(err.cause, cause);
    assert.ok(err instanceof Error);
    assert.equal(new ConfigError("x", []).name, "ConfigError");
  });

  it("map to ConnectError codes at the RPC edge", () => {
    assert.equal(
      toConnectError(new OperatorAuthError(OperatorAuthFailure.missing, "m")).code,
      Code.Unauthenticated,
    );
    assert.equal(
      toConnectError(new OperatorAuthError(OperatorAuthFailure.mismatch, "m")).code,
      Code.PermissionDenied,
    );
    assert.equal(
      toConnectError(new OperatorAuthError(OperatorAuthFailure.disabled, "m")).code,
      Code.PermissionDenied,
    );
    assert.equal(toConnectError(new CheckTimeoutError("c", 1)).code, Code.DeadlineExceeded);
    const other = toConnectError(new Error("other /etc/secret-path"));
    assert.equal(other.code, Code.Internal);
    assert.equal(other.rawMessage, "internal error", "a server fault's own message stays in the log");
    assert.equal((other.cause as Error).message, "other /etc/secret-path");
    const existing = new ConnectError("x", Code.NotFound);
    assert.equal(toConnectError(existing), existing);
  });

  it("maps every LangtianError by its code, hiding the message of internal and data_loss", () => {
    class NoSuchTable extends LangtianError {
      override readonly code = ErrorCode.notFound;
    }
    class CorruptFile extends LangtianError {
      override readonly code = ErrorCode.dataLoss;
    }
    const notFound = toConnectError(new NoSuchTable("no table t"));
    assert.equal(notFound.code, Code.NotFound);
    assert.equal(notFound.rawMessage, "no table t");
    const corrupt = toConnectError(new CorruptFile("bad footer in /lake/x.parquet"));
    assert.equal(corrupt.code, Code.DataLoss);
    assert.equal(corrupt.rawMessage, "internal error");
    assert.equal(toConnectError(new ConfigError("s", [])).code, Code.InvalidArgument);
  });

  it("ConfigError lists every issue in its message", () => {
    const err = new ConfigError("bridge", [
      { path: "a", source: "env X", expected: "an integer", got: '"q"' },
      { path: "b", source: "missing", expected: "a string", got: "nothing" },
    ]);
    assert.equal(
      err.message,
      'invalid configuration for bridge (2 problems):\n  - a (env X): expected an integer, got "q"\n  - b (missing): expected a string, got nothing',
    );
  });

  it("RefusedError is a ConnectError to Connect, and only refusals are RefusedErrors", () => {
    const refused = new RefusedError(Code.ResourceExhausted, "too_large", "too big", { httpStatus: 413 });
    assert.ok(refused instanceof ConnectError);
    assert.equal(ConnectError.from(refused), refused);
    assert.equal(toConnectError(refused), refused);
    assert.equal(refused.code, Code.ResourceExhausted);
    assert.equal(refused.reason, "too_large");
    assert.equal(refused.httpStatus, 413);
    assert.equal(new ConnectError("plain", Code.InvalidArgument) instanceof RefusedError, false);
  });
});
