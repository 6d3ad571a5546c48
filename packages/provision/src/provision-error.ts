/**
 * Error thrown when a tool cannot be provisioned into the cache (the one error type of this
 * package). A plain `Error` with the `code` of `@langtian/errors`' base rather than a subclass of
 * it: the scripts run this package before `node_modules` exists, so it imports nothing by name.
 */
export class ProvisionError extends Error {
  override name = "ProvisionError";
  /** As `ErrorCode.failedPrecondition` of `@langtian/errors`: the machine lacks what is needed. */
  readonly code = "failed_precondition";
}
