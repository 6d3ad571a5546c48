/**
 * Counting refused requests: `langtian_<service>_rpc_requests_refused_total{procedure,code,reason}`,
 * one series per route, Connect code and short reason. A refusal is an answer with a code that
 * blames the request (bad input, credentials, limits, unknown route), whichever layer gave it:
 * Connect's own parsing and size checks, a request gate, an interceptor, a handler, or Fastify
 * (body limits, content types, not found).
 */
import { Code, type ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { RefusedError } from "./errors.ts";
import type { MetricFactory } from "./metrics.ts";

/** Codes that mean "the request was refused" rather than "the server failed". */
export const REFUSAL_CODES: ReadonlySet<Code> = new Set([
  Code.InvalidArgument,
  Code.OutOfRange,
  Code.FailedPrecondition,
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.ResourceExhausted,
  Code.Unimplemented,
]);

/** `procedure` label for requests that matched no route. */
export const UNKNOWN_PROCEDURE = "unknown";

/** Counts refused requests by procedure, Connect code and reason. */
export interface RefusalCounter {
  /** Adds one refusal. `procedure` is the route's path (e.g. `/pkg.Service/Method`). */
  count(procedure: string, code: Code, reason: string): void;
}

/** Registers `rpc_requests_refused_total` on the app's registry; call once per app. */
export function createRefusalCounter(metrics: MetricFactory): RefusalCounter {
  const refused = metrics.counter({
    name: "rpc_requests_refused_total",
    help: "Requests refused at the RPC/HTTP edge, by procedure (route path), Connect code and reason.",
    labelNames: ["procedure", "code", "reason"],
  });
  return {
    count(procedure, code, reason) {
      refused.inc({ procedure, code: codeName(code), reason });
    },
  };
}

/** The Connect wire name of a code: `invalid_argument`, `resource_exhausted`, ... */
export function codeName(code: Code): string {
  return codeToString(code);
}

/** True for the error Connect raises when a request message is not valid protobuf. */
export function isBinaryParseError(err: ConnectError): boolean {
  return err.rawMessage.startsWith("parse binary:");
}

/**
 * The reason label for a refusal: a {@link RefusedError}'s own reason, else one recognised
 * from Connect's messages (they are stable strings of its parsing and limit checks), else the
 * code's name.
 */
export function refusalReason(err: ConnectError): string {
  if (err instanceof RefusedError) return err.reason;
  const m = err.rawMessage;
  if (isBinaryParseError(err)) return "malformed_protobuf";
  if (err.code === Code.ResourceExhausted && m.includes("readMaxBytes")) return "too_large";
  if (m.includes("from JSON") && /key "[^"]*" is unknown/.test(m)) return "unknown_field";
  if (err.code === Code.InvalidArgument && (m.includes("JSON") || err.cause instanceof SyntaxError))
    return "malformed_json";
  if (m.startsWith("protocol error")) return "protocol_error";
  if (/decompress|compression/i.test(m)) return "bad_compression";
  return codeName(err.code);
}
