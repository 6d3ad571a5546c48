/**
 * The Connect edge of every service: serves the Connect routes (Connect, gRPC, gRPC-Web) on
 * the app's Fastify instance, like `@connectrpc/connect-fastify`'s plugin, with the rules
 * every service needs at its edge:
 *
 * - request messages are read up to `readMaxBytes` and refused with `resource_exhausted` as
 *   soon as more arrive (the rest of the body is never read: HTTP/1.1 answers with
 *   `Connection: close`, HTTP/2 resets the stream after the answer);
 * - JSON with unknown fields is refused (`invalid_argument`), like protobuf's own default;
 * - a body that is not valid protobuf is `invalid_argument`, not `internal` (Connect-ES 2
 *   answers `internal` for it, unlike connect-go);
 * - a content type or HTTP method no protocol takes gets a Connect error body, not a bare status;
 * - every refusal is counted by procedure, code and reason.
 */
import http2 from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext, Interceptor } from "@connectrpc/connect";
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import type { UniversalHandlerOptions, UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import { toConnectError } from "./errors.ts";
import type { RefusalCounter } from "./rpc-refusals.ts";
import { codeName, isBinaryParseError, REFUSAL_CODES, refusalReason } from "./rpc-refusals.ts";

/** Largest request message a procedure reads unless its service asks for more, in bytes. */
export const DEFAULT_READ_MAX_BYTES = 1024 * 1024;

/** Codes that mean the server failed: logged (the client only sees the code and message). */
const SERVER_FAULTS: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/** A Connect request gate: runs once the headers are in, before any of the body is read. */
export type RequestGate = (context: HandlerContext) => void | Promise<void>;

/** Options of {@link connectEdgePlugin}. */
export interface ConnectEdgeOptions {
  /** Registers the services; per-service options (`readMaxBytes`, `requestGate`) are honoured. */
  readonly routes: (router: ConnectRouter) => void;
  /** Interceptors, outermost first. */
  readonly interceptors: readonly Interceptor[];
  /** Aborting it aborts every handler's signal (graceful close). */
  readonly shutdownSignal: AbortSignal;
  /** Default largest request message, in bytes (default {@link DEFAULT_READ_MAX_BYTES}). */
  readonly readMaxBytes?: number;
  readonly refusals: RefusalCounter;
}

/** The path Connect serves a method under, also the `procedure` label: `/pkg.Service/Method`. */
export function procedurePath(method: Pick<DescMethod, "name" | "parent">): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * Registers every Connect route of `options.routes` on `instance` (use it in its own
 * encapsulated plugin scope: it replaces the scope's body parsers, so Connect alone reads
 * the bodies of its routes).
 */
export const connectEdgePlugin: FastifyPluginCallback<ConnectEdgeOptions> = (instance, options, done) => {
  const { refusals } = options;
  const observe: RequestGate = (context) => {
    const procedure = procedurePath(context.method);
    // Every protocol handler aborts the context with the error it is about to answer, before
    // it turns the error into a status: the one place that sees all of them, including those
    // raised while reading and parsing the body, which interceptors never see.
    context.signal.addEventListener(
      "abort",
      () => {
        const reason: unknown = context.signal.reason;
        if (!(reason instanceof ConnectError)) return;
        if (reason.code === Code.Internal && isBinaryParseError(reason)) {
          // The request is at fault, not the server; the handler reads the code after this.
          (reason as { code: Code }).code = Code.InvalidArgument;
        }
        if (REFUSAL_CODES.has(reason.code)) refusals.count(procedure, reason.code, refusalReason(reason));
        else if (SERVER_FAULTS.has(reason.code)) instance.log.error({ err: reason, procedure }, "RPC failed");
      },
      { once: true },
    );
  };
  const withObserver = (gate: RequestGate | undefined): RequestGate =>
    gate === undefined
      ? observe
      : async (context) => {
          observe(context);
          await gate(context);
        };
  const router = createConnectRouter({
    interceptors: [errorMappingInterceptor, ...options.interceptors],
    shutdownSignal: options.shutdownSignal,
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    acceptCompression: [compressionGzip, compressionBrotli],
    jsonOptions: { ignoreUnknownFields: false },
    requestGate: observe,
  });
  // Per-service options replace the router's; keep the observer in front of a service's gate.
  const serviceOptions = (o: Partial<UniversalHandlerOptions> | undefined) =>
    o === undefined ? o : { ...o, requestGate: withObserver(o.requestGate) };
  const facade: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, implementation, o) {
      router.service(service, implementation, serviceOptions(o));
      return this;
    },
    rpc(method, implementation, o) {
      router.rpc(method, implementation, serviceOptions(o));
      return this;
    },
  };
  options.routes(facade);

  // Connect reads (and limits) the bodies of its routes itself: no Fastify parser may buffer one.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser("*", (_request, _payload, next) => next(null, undefined));

  for (const handler of router.handlers) {
    const procedure = procedurePath(handler.method);
    instance.all(handler.requestPath, async (request, reply) => {
      let response: UniversalServerResponse;
      try {
        response = await handler(
          universalRequestFromNodeRequest(request.raw, reply.raw, undefined, undefined),
        );
      } catch (err) {
        request.log.error({ err, procedure }, "Connect handler failed before answering");
        response = errorResponse(500, new ConnectError("internal error", Code.Internal));
      }
      response = explainBareRefusal(response, procedure, refusals);
      if (!request.raw.complete) closeAfterAnswer(request, reply, response.trailer !== undefined);
      // Fastify keeps headers set by hooks on the reply until reply.send, which is not used here.
      for (const [key, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(key, value);
      }
      try {
        await universalResponseToNodeResponse(response, reply.raw);
      } catch (err) {
        if (ConnectError.from(err).code !== Code.Aborted)
          request.log.debug({ err, procedure }, "answer not written");
      }
    });
  }
  done();
};

/**
 * Interceptor turning anything a handler throws into a ConnectError with a standard code,
 * also while a server-streaming response is being produced (those errors surface from the
 * response's iterator, after the handler returned).
 */
const errorMappingInterceptor: Interceptor = (next) => async (request) => {
  try {
    const response = await next(request);
    if (!response.stream) return response;
    return { ...response, message: mapStreamErrors(response.message) };
  } catch (err) {
    throw toConnectError(err);
  }
};

async function* mapStreamErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw toConnectError(err);
  }
}

/**
 * Connect answers a content type or method no protocol handles with a bare 415/405/505; give
 * it a Connect error body (the status stays) and count it.
 */
function explainBareRefusal(
  response: UniversalServerResponse,
  procedure: string,
  refusals: RefusalCounter,
): UniversalServerResponse {
  if (response.body !== undefined) return response;
  let error: ConnectError;
  let reason: string;
  switch (response.status) {
    case 415:
      reason = "unsupported_media_type";
      error = new ConnectError(
        "unsupported content type: use application/json or application/proto (Connect), application/grpc[+proto|+json] (gRPC) or application/grpc-web[+proto|+json]",
        Code.InvalidArgument,
      );
      break;
    case 405:
      reason = "method_not_allowed";
      error = new ConnectError("this procedure takes POST only", Code.Unimplemented);
      break;
    case 505:
      reason = "http_version_not_supported";
      error = new ConnectError("this procedure needs HTTP/2", Code.Unimplemented);
      break;
    default:
      return response;
  }
  refusals.count(procedure, error.code, reason);
  return errorResponse(response.status, error, response.header);
}

function errorResponse(status: number, error: ConnectError, header?: Headers): UniversalServerResponse {
  const headers = new Headers(header);
  headers.set("content-type", "application/json");
  const body = new TextEncoder().encode(
    JSON.stringify({ code: codeName(error.code), message: error.rawMessage }),
  );
  return {
    status,
    header: headers,
    body: (async function* () {
      yield body;
    })(),
  };
}

/**
 * The request body was not read to its end (refused early): after the answer, make the client
 * stop sending rather than read the rest. HTTP/1.1: `Connection: close` (Node closes the
 * socket once the answer is out). HTTP/2: reset the stream with NO_ERROR once answered, which
 * RFC 9113 §8.1 names for exactly this.
 */
export function closeAfterAnswer(request: FastifyRequest, reply: FastifyReply, withTrailers = false): void {
  const raw = request.raw as FastifyRequest["raw"] & { stream?: http2.ServerHttp2Stream };
  if (raw.stream !== undefined) {
    const stream = raw.stream;
    // Closing alone leaves the stream open while unread data waits in it; destroying after
    // the NO_ERROR reset ends it on both sides.
    const reset = (): void => {
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
      stream.destroy();
    };
    if (withTrailers) {
      // gRPC's status travels in trailers: Node sends them on 'wantTrailers' (its own listener
      // runs first); reset only once they are queued.
      stream.once("wantTrailers", () => setImmediate(reset));
    } else {
      // The stream's own writable side, not the compat response: that one reports 'finish'
      // only once the whole stream closed, which a client still sending never lets happen.
      stream.once("finish", reset);
    }
  } else {
    reply.raw.setHeader("connection", "close");
  }
}
