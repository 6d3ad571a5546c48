import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { EnvelopeDecodeError, envelopeFromJson, PayloadDecodeError } from "@langtian/envelope";
import { CollectorService, type Envelope, IngestResponseSchema } from "@langtian/proto";
import type { ServiceFastify } from "@langtian/service-kit";
import type { Delivery } from "./delivery.ts";
import type { CollectorMetrics } from "./metrics.ts";
import { ingestBatch, type PushIngestOptions, type UnparsedEvent } from "./push-ingest.ts";

/** What the push routes need. */
export interface IngestRouteDeps {
  readonly delivery: Delivery;
  readonly metrics: CollectorMetrics;
  readonly options: PushIngestOptions & { readonly maxBatchEvents: number };
}

/** Connect routes: `langtian.collector.v1.CollectorService`. */
export function collectorRoutes(deps: IngestRouteDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(CollectorService, {
      async ingest(request) {
        if (request.events.length > deps.options.maxBatchEvents) {
          throw new ConnectError(
            `batch of ${request.events.length} events exceeds the limit of ${deps.options.maxBatchEvents}`,
            Code.InvalidArgument,
          );
        }
        return ingestBatch(request.events, deps.delivery, deps.metrics, deps.options);
      },
    });
  };
}

/** Request path of the plain HTTP JSON push endpoint. */
export const HTTP_INGEST_PATH = "/v1/events";

/**
 * `POST /v1/events` with `{"events": [<envelope JSON>, ...]}` (proto JSON field names; a
 * known protobuf payload may be given as JSON, else base64). Answers 200 with the same
 * per-event result as `Ingest` (camelCase JSON), 400 when the body is not such an object,
 * 413 when the batch is too large.
 */
export function registerHttpIngest(fastify: ServiceFastify, deps: IngestRouteDeps): void {
  fastify.post(
    HTTP_INGEST_PATH,
    { bodyLimit: Math.min(deps.options.maxBatchEvents * deps.options.maxEventBytes, 256 * 1024 * 1024) },
    async (request, reply) => {
      const body = request.body as { events?: unknown } | null;
      if (body === null || typeof body !== "object" || !Array.isArray(body.events)) {
        return reply.code(400).send({ error: 'body must be a JSON object with an "events" array' });
      }
      if (body.events.length > deps.options.maxBatchEvents) {
        return reply.code(413).send({ error: `at most ${deps.options.maxBatchEvents} events per request` });
      }
      const events = body.events.map((json: unknown): Envelope | UnparsedEvent => {
        try {
          return envelopeFromJson(json as JsonValue);
        } catch (err) {
          if (err instanceof EnvelopeDecodeError || err instanceof PayloadDecodeError)
            return { error: err.message };
          throw err;
        }
      });
      const response = await ingestBatch(events, deps.delivery, deps.metrics, deps.options);
      return reply.send(toJson(IngestResponseSchema, response, { alwaysEmitImplicit: true }));
    },
  );
}
