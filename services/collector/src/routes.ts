import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { Code, type ConnectRouter, createContextKey } from "@connectrpc/connect";
import { EnvelopeDecodeError, envelopeFromJson, PayloadDecodeError } from "@langtian/envelope";
import { CollectorService, type Envelope, IngestResponseSchema } from "@langtian/proto";
import { RefusedError, type ServiceFastify } from "@langtian/service-kit";
import type { FastifyRequest } from "fastify";
import type { Delivery } from "./delivery.ts";
import type { IngestGuard, IngestPrincipal } from "./ingest-guard.ts";
import type { CollectorMetrics } from "./metrics.ts";
import { ingestBatch, type PushIngestOptions, type UnparsedEvent } from "./push-ingest.ts";

/** Where accepted pushes go: known once the collector started (spool open, NATS limits read). */
export interface PushIntake {
  readonly delivery: Delivery;
  readonly options: PushIngestOptions;
}

/** What the push routes need. */
export interface IngestRouteDeps {
  /** The running intake; throws `unavailable` before the collector started. */
  readonly intake: () => PushIntake;
  readonly metrics: CollectorMetrics;
  readonly guard: IngestGuard;
  readonly options: {
    readonly maxBatchEvents: number;
    /** Largest request body / Ingest message, in bytes; refused while reading beyond it. */
    readonly maxRequestBytes: number;
  };
}

/** The pusher, identified by the request gate before the body is read. */
const PRINCIPAL = createContextKey<IngestPrincipal | undefined>(undefined, {
  description: "ingest principal",
});

/**
 * Connect routes: `langtian.collector.v1.CollectorService`. The key is checked (and an
 * exhausted rate limit refused) from the headers alone, before the message is read; the
 * message is read up to `maxRequestBytes`.
 */
export function collectorRoutes(deps: IngestRouteDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(
      CollectorService,
      {
        async ingest(request, context) {
          const principal =
            context.values.get(PRINCIPAL) ??
            deps.guard.authenticate(context.requestHeader.get("authorization"));
          checkBatchSize(request.events.length, deps.options.maxBatchEvents);
          deps.guard.authorizeSources(
            principal,
            request.events.map((e) => e.sourceSystem),
          );
          deps.guard.admit(principal, request.events.length);
          const { delivery, options } = deps.intake();
          return ingestBatch(request.events, delivery, deps.metrics, options);
        },
      },
      {
        readMaxBytes: deps.options.maxRequestBytes,
        requestGate(context) {
          const principal = deps.guard.authenticate(context.requestHeader.get("authorization"));
          deps.guard.precheck(principal);
          context.values.set(PRINCIPAL, principal);
        },
      },
    );
  };
}

function checkBatchSize(events: number, max: number): void {
  if (events > max) {
    throw new RefusedError(
      Code.InvalidArgument,
      "too_many_events",
      `batch of ${events} events exceeds the limit of ${max}`,
    );
  }
}

/** Request path of the plain HTTP JSON push endpoint. */
export const HTTP_INGEST_PATH = "/v1/events";

/**
 * `POST /v1/events` with `{"events": [<envelope JSON>, ...]}` (proto JSON field names; a
 * known protobuf payload may be given as JSON, else base64), `Content-Type: application/json`.
 * Answers 200 with the same per-event result as `Ingest` (camelCase JSON). Refusals answer
 * `{"code": <Connect code>, "message": ...}`: 401 unauthenticated, 403 permission_denied,
 * 413 resource_exhausted (body over `maxRequestBytes`, refused while reading), 415
 * invalid_argument (not JSON), 429 resource_exhausted (rate limit, with Retry-After), 400
 * invalid_argument (malformed JSON, unknown fields, too many events).
 */
export function registerHttpIngest(fastify: ServiceFastify, deps: IngestRouteDeps): void {
  const principals = new WeakMap<FastifyRequest, IngestPrincipal>();
  fastify.post(
    HTTP_INGEST_PATH,
    {
      bodyLimit: deps.options.maxRequestBytes,
      // Before the body is read: content type, key and an exhausted rate limit.
      onRequest: async (request) => {
        const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
        if (type !== "application/json") {
          throw new RefusedError(
            Code.InvalidArgument,
            "unsupported_media_type",
            `send Content-Type: application/json (got ${type === undefined ? "none" : JSON.stringify(type)})`,
            { httpStatus: 415 },
          );
        }
        const principal = deps.guard.authenticate(request.headers.authorization);
        deps.guard.precheck(principal);
        principals.set(request, principal);
      },
    },
    async (request, reply) => {
      const principal = principals.get(request) ?? deps.guard.authenticate(request.headers.authorization);
      const events = eventsOf(request.body);
      checkBatchSize(events.length, deps.options.maxBatchEvents);
      const parsed = events.map((json: unknown): Envelope | UnparsedEvent => {
        try {
          return envelopeFromJson(json as JsonValue);
        } catch (err) {
          if (err instanceof EnvelopeDecodeError || err instanceof PayloadDecodeError)
            return { error: err.message };
          throw err;
        }
      });
      deps.guard.authorizeSources(
        principal,
        parsed.flatMap((e) => ("error" in e ? [] : [e.sourceSystem])),
      );
      deps.guard.admit(principal, parsed.length);
      const { delivery, options } = deps.intake();
      const response = await ingestBatch(parsed, delivery, deps.metrics, options);
      return reply.send(toJson(IngestResponseSchema, response, { alwaysEmitImplicit: true }));
    },
  );
}

/** The `events` array of a push body; anything else in the body is refused by name. */
function eventsOf(body: unknown): unknown[] {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new RefusedError(
      Code.InvalidArgument,
      "invalid_body",
      'body must be a JSON object {"events": [...]}',
    );
  }
  const unknown = Object.keys(body).filter((k) => k !== "events");
  if (unknown.length > 0) {
    throw new RefusedError(
      Code.InvalidArgument,
      "unknown_field",
      `unknown field ${unknown.map((k) => JSON.stringify(k)).join(", ")}: the body is {"events": [...]}`,
    );
  }
  const events = (body as { events?: unknown }).events;
  if (!Array.isArray(events)) {
    throw new RefusedError(Code.InvalidArgument, "invalid_body", '"events" must be an array of envelopes');
  }
  return events;
}
