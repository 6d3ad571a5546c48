import type { ErrorCode } from "./error-code.ts";

/**
 * The base of every error Langtian EDA throws on purpose. Subclasses name the failure
 * (`override readonly name`) and fix its {@link ErrorCode}; the cause travels in `{ cause }`.
 * The RPC edge (service-kit's `toConnectError`) turns the code into a Connect code, and hides
 * the message of `internal` and `data_loss` errors from clients (it can name paths or hosts).
 */
export abstract class LangtianError extends Error {
  /** What kind of failure this is; decides the RPC code and whether it is worth retrying. */
  abstract readonly code: ErrorCode;
}

/** Whether `value` is one of our errors (a `LangtianError` of any package copy). */
export function isLangtianError(value: unknown): value is LangtianError {
  return value instanceof LangtianError;
}
