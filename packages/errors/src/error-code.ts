/**
 * What kind of failure an error is, named like the standard RPC status codes (Connect, gRPC)
 * so the RPC edge maps it without a table per error class. Strings, not Connect's numeric
 * `Code`, so packages that never touch RPC (envelope, provision) need no RPC dependency.
 */
export const ErrorCode = {
  /** The caller gave something malformed or out of range; retrying the same input fails again. */
  invalidArgument: "invalid_argument",
  /** What was asked for does not exist. */
  notFound: "not_found",
  /** It exists already (a create that must not overwrite). */
  alreadyExists: "already_exists",
  /** The caller is known but not allowed to do this. */
  permissionDenied: "permission_denied",
  /** The caller is not known (no or bad credentials). */
  unauthenticated: "unauthenticated",
  /** A quota, size or rate limit was hit. */
  resourceExhausted: "resource_exhausted",
  /** The system is not in the state this needs (e.g. a missing consumer, files not installed). */
  failedPrecondition: "failed_precondition",
  /** Lost a race with a concurrent change (a fencing epoch, a moved position); retry from fresh state. */
  aborted: "aborted",
  /** Did not finish in time. */
  deadlineExceeded: "deadline_exceeded",
  /** A dependency is away for now; retrying later can succeed. */
  unavailable: "unavailable",
  /** Stored data is unreadable or corrupt. */
  dataLoss: "data_loss",
  /** A fault of ours: a broken invariant or an unexpected failure. */
  internal: "internal",
  /** Asked to stop before finishing. */
  canceled: "canceled",
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
