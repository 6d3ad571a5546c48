import { ErrorCode, LangtianError } from "@langtian/errors";

/** Raised by a sink when a single record exceeds what the broker accepts: retrying cannot help. */
export class RecordTooLargeError extends LangtianError {
  override readonly code = ErrorCode.resourceExhausted;
  override readonly name = "RecordTooLargeError";
}

/** A produce request did not settle in time; its records are treated as not written. */
export class ProduceTimeoutError extends LangtianError {
  override readonly code = ErrorCode.deadlineExceeded;
  override readonly name = "ProduceTimeoutError";
}
