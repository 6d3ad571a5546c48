/**
 * Named errors of service-kit. Inside a service we throw these (with `{ cause }`); at the RPC
 * edge only `ConnectError` leaves the process (see `toConnectError`).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, LangtianError } from "@langtian/errors";

/** One configuration problem: where, what was expected, what was found (secrets redacted). */
export interface ConfigIssue {
  /** Dotted path in the schema, e.g. `nats.url`. */
  readonly path: string;
  /** Where the value came from: `env NAME`, `file`, `default` or `missing`. */
  readonly source: string;
  /** What the schema expects, e.g. `integer between 1 and 65535`. */
  readonly expected: string;
  /** What was found, quoted; `[redacted]` for secret fields. */
  readonly got: string;
}

/** Thrown by `loadConfig` with EVERY problem found, so one restart fixes them all. */
export class ConfigError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override readonly name = "ConfigError";
  /** All problems found, in schema order. */
  readonly issues: readonly ConfigIssue[];

  constructor(service: string, issues: readonly ConfigIssue[], options?: ErrorOptions) {
    const lines = issues.map((i) => `  - ${i.path} (${i.source}): expected ${i.expected}, got ${i.got}`);
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(`invalid configuration for ${service} (${count}):\n${lines.join("\n")}`, options);
    this.issues = issues;
  }
}

/** A dependency health check did not answer within its timeout. */
export class CheckTimeoutError extends LangtianError {
  override readonly code = ErrorCode.deadlineExceeded;
  override readonly name = "CheckTimeoutError";
  constructor(check: string, timeoutMs: number, options?: ErrorOptions) {
    super(`health check "${check}" did not answer within ${timeoutMs} ms`, options);
  }
}

/** A drain hook threw; the drain carries on with the next hook and reports it. */
export class DrainHookError extends LangtianError {
  override readonly code = ErrorCode.internal;
  override readonly name = "DrainHookError";
  constructor(hook: string, options?: ErrorOptions) {
    super(`drain hook "${hook}" failed`, options);
  }
}

/** Operator authentication outcome codes, as a const object (no enums under type stripping). */
export const OperatorAuthFailure = {
  /** No operator token configured: mutations are disabled. */
  disabled: "disabled",
  /** The request carried no bearer token. */
  missing: "missing",
  /** The request carried a token that does not match. */
  mismatch: "mismatch",
} as const;
/** One of `OperatorAuthFailure`'s values. */
export type OperatorAuthFailure = (typeof OperatorAuthFailure)[keyof typeof OperatorAuthFailure];

/** An operator-only action was refused. */
export class OperatorAuthError extends LangtianError {
  override readonly name = "OperatorAuthError";
  readonly failure: OperatorAuthFailure;
  readonly code: ErrorCode;
  constructor(failure: OperatorAuthFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.failure = failure;
    this.code =
      failure === OperatorAuthFailure.missing ? ErrorCode.unauthenticated : ErrorCode.permissionDenied;
  }
}

/** Options of {@link RefusedError}. */
export interface RefusedErrorOptions {
  /** The HTTP status a plain HTTP route answers with (default: Connect's status for the code). */
  readonly httpStatus?: number;
  /** Response headers to send with the error (e.g. `retry-after`). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * A request refused for something the caller can fix or must respect: bad input, missing or
 * wrong credentials, a limit. A `ConnectError` (so Connect answers it as it is) that also
 * carries a short machine-readable `reason`, which the refusal counter
 * (`rpc_requests_refused_total{procedure,code,reason}`) uses as its label, and optionally the
 * HTTP status for plain HTTP routes (e.g. 413 rather than Connect's 429 for a body too large).
 */
export class RefusedError extends ConnectError {
  // The name stays "ConnectError": ConnectError's `instanceof` accepts other prototypes only
  // under that name, and Connect must treat this error as its own.
  /** Short snake_case reason, e.g. `too_large`, `invalid_credentials`. */
  readonly reason: string;
  /** HTTP status for plain HTTP routes; undefined = Connect's mapping of `code`. */
  readonly httpStatus: number | undefined;

  constructor(code: Code, reason: string, message: string, options: RefusedErrorOptions = {}) {
    super(message, code, options.metadata, undefined, options.cause);
    this.reason = reason;
    this.httpStatus = options.httpStatus;
  }

  /** A real prototype check (the inherited one accepts any ConnectError). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" &&
      value !== null &&
      Object.prototype.isPrototypeOf.call(RefusedError.prototype, value)
    );
  }
}

/**
 * Converts anything thrown inside a handler into a `ConnectError` with a standard code.
 * Our own errors (`LangtianError`) carry their code; anything else is `internal` with no detail.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof OperatorAuthError) {
    const missing = err.failure === OperatorAuthFailure.missing;
    return new RefusedError(
      missing ? Code.Unauthenticated : Code.PermissionDenied,
      `operator_token_${err.failure}`,
      err.message,
      {
        httpStatus: missing ? 401 : 403,
        cause: err,
        ...(missing ? { metadata: { "www-authenticate": "Bearer" } } : {}),
      },
    );
  }
  if (err instanceof Error && err.name === "AbortError") return ConnectError.from(err);
  if (err instanceof LangtianError) {
    const message = hiddenCodes.has(err.code) ? "internal error" : err.message;
    return new ConnectError(message, connectCodes[err.code], undefined, undefined, err);
  }
  // Anything else is a fault of the server: the client gets the code and no detail (an
  // internal message can name paths, hosts or SQL); the edge logs the cause.
  return new ConnectError("internal error", Code.Internal, undefined, undefined, err);
}

/** Our error codes as Connect codes (same names). */
const connectCodes: Readonly<Record<ErrorCode, Code>> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  resource_exhausted: Code.ResourceExhausted,
  failed_precondition: Code.FailedPrecondition,
  aborted: Code.Aborted,
  deadline_exceeded: Code.DeadlineExceeded,
  unavailable: Code.Unavailable,
  data_loss: Code.DataLoss,
  internal: Code.Internal,
  canceled: Code.Canceled,
};

/** Codes whose message the client does not see (the edge logs it): it may name paths, hosts or SQL. */
const hiddenCodes: ReadonlySet<ErrorCode> = new Set([ErrorCode.internal, ErrorCode.dataLoss]);
