/**
 * Fastify's error path for plain HTTP routes (e.g. a JSON push endpoint, admin routes): every
 * error answers `{ code, message }` with a Connect code, refusals keep a 4xx status and are
 * counted by route, code and reason, and anything else is a logged `internal` 500 whose
 * message tells the client nothing about the server.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromHttpStatus, codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { closeAfterAnswer } from "./connect-edge.ts";
import { RefusedError } from "./errors.ts";
import type { RefusalCounter } from "./rpc-refusals.ts";
import { codeName, REFUSAL_CODES, refusalReason, UNKNOWN_PROCEDURE } from "./rpc-refusals.ts";
import type { ServiceFastify } from "./service-app.ts";

/** How a Fastify-level error is answered. */
interface HttpAnswer {
  readonly status: number;
  readonly code: Code;
  readonly reason: string;
  readonly message: string;
  readonly headers?: Headers;
}

/** Fastify's own client errors, by error code: status, Connect code, reason. */
const FASTIFY_REFUSALS: Readonly<Record<string, readonly [number, Code, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, Code.ResourceExhausted, "too_large"],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, Code.InvalidArgument, "unsupported_media_type"],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, Code.InvalidArgument, "bad_content_length"],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, Code.InvalidArgument, "empty_body"],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, Code.InvalidArgument, "malformed_json"],
};

/** Classifies an error thrown on a plain HTTP route (or by Fastify while reading its body). */
export function httpAnswerFor(err: unknown): HttpAnswer {
  if (err instanceof ConnectError) {
    const status =
      err instanceof RefusedError && err.httpStatus !== undefined
        ? err.httpStatus
        : codeToHttpStatus(err.code);
    return {
      status,
      code: err.code,
      reason: refusalReason(err),
      message: err.rawMessage,
      headers: err.metadata,
    };
  }
  const e = err as Partial<FastifyError> & { validation?: unknown };
  const known = e.code === undefined ? undefined : FASTIFY_REFUSALS[e.code];
  if (known !== undefined) {
    const [status, code, reason] = known;
    return { status, code, reason, message: e.message ?? reason };
  }
  if (e.validation !== undefined) {
    return {
      status: 400,
      code: Code.InvalidArgument,
      reason: "invalid_request",
      message: e.message ?? "invalid request",
    };
  }
  // Fastify parses JSON bodies itself; its syntax errors carry status 400 and no code of their own.
  if (e.statusCode === 400 && err instanceof SyntaxError) {
    return { status: 400, code: Code.InvalidArgument, reason: "malformed_json", message: err.message };
  }
  const status = e.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      status,
      code: codeFromHttpStatus(status) === Code.Unknown ? Code.InvalidArgument : codeFromHttpStatus(status),
      reason: (e.code ?? "bad_request").toLowerCase(),
      message: e.message ?? "bad request",
    };
  }
  return { status: 500, code: Code.Internal, reason: "internal", message: "internal error" };
}

/** Installs the error and not-found handlers on the app's root Fastify instance. */
export function registerHttpRefusals(app: ServiceFastify, refusals: RefusalCounter): void {
  app.setErrorHandler((err: unknown, request, reply) => {
    const answer = httpAnswerFor(err);
    const procedure = request.routeOptions.url ?? UNKNOWN_PROCEDURE;
    if (answer.status >= 500) request.log.error({ err, procedure }, "request failed");
    else if (REFUSAL_CODES.has(answer.code)) refusals.count(procedure, answer.code, answer.reason);
    send(request, reply, answer);
  });
  app.setNotFoundHandler((request, reply) => {
    refusals.count(UNKNOWN_PROCEDURE, Code.Unimplemented, "not_found");
    send(request, reply, {
      status: 404,
      code: Code.Unimplemented,
      reason: "not_found",
      message: `no route ${request.method} ${request.url.split("?")[0]}`,
    });
  });
}

function send(request: FastifyRequest, reply: FastifyReply, answer: HttpAnswer): void {
  answer.headers?.forEach((value, key) => {
    reply.header(key, value);
  });
  // HTTP/2 has no Connection header (Fastify sets one on body errors; Node would drop it, warning).
  if (request.raw.httpVersionMajor === 2) reply.removeHeader("connection");
  // A body refused before it was read to its end is not read any further.
  if (!request.raw.complete) closeAfterAnswer(request, reply);
  void reply.code(answer.status).send({ code: codeName(answer.code), message: answer.message });
}
