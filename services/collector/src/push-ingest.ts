import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { encodeEnvelope, uuidv7, validateEnvelope } from "@langtian/envelope";
import {
  type AcceptedEvent,
  AcceptedEventSchema,
  type Envelope,
  type EventError,
  EventErrorSchema,
  FieldViolationSchema,
  IngestOutcome,
  type IngestResponse,
  IngestResponseSchema,
} from "@langtian/proto";
import type { EventTracer } from "@langtian/service-kit";
import { type Delivery, type DeliveryOutcome, DeliveryRejectedError } from "./delivery.ts";
import type { CollectorMetrics } from "./metrics.ts";
import { eventHeaderLines } from "./outbound-event.ts";

/** Limits of the push API. */
export interface PushIngestOptions {
  readonly subjectPrefix: string;
  /** Largest encoded envelope accepted, in bytes. */
  readonly maxEventBytes: number;
  /** Starts each accepted event's trace (a child of the pusher's trace context when it sent one). */
  readonly tracer?: EventTracer | undefined;
}

/** An event of a pushed batch that could not even be parsed (HTTP JSON only). */
export interface UnparsedEvent {
  readonly error: string;
}

const OUTCOMES: Record<DeliveryOutcome, IngestOutcome> = {
  published: IngestOutcome.PUBLISHED,
  duplicate: IngestOutcome.DUPLICATE,
  spooled: IngestOutcome.SPOOLED,
};

/**
 * Validates and accepts a pushed batch, event by event: an invalid event is reported with
 * its index and every broken rule, and never stops the valid ones. An event is accepted
 * when JetStream acknowledged it or it is in the spool. The shared core of
 * `CollectorService.Ingest` and the HTTP JSON endpoint.
 */
export async function ingestBatch(
  events: readonly (Envelope | UnparsedEvent)[],
  delivery: Delivery,
  metrics: CollectorMetrics,
  opts: PushIngestOptions,
  receivedAtMs: number = Date.now(),
): Promise<IngestResponse> {
  const accepted: AcceptedEvent[] = [];
  const errors: EventError[] = [];
  const fail = (
    index: number,
    eventId: string,
    code: string,
    message: string,
    violations: EventError["violations"] = [],
  ) => {
    metrics.ingestEvents.inc({ result: code });
    errors.push(create(EventErrorSchema, { index, eventId, code, message, violations }));
  };
  await Promise.all(
    events.map(async (event, index) => {
      if ("error" in event) return fail(index, "", "invalid_json", event.error);
      if (event.eventId === "") event.eventId = uuidv7();
      event.receivedTimestamp ??= timestampFromMs(receivedAtMs);
      const violations = validateEnvelope(event, { nowMs: receivedAtMs });
      if (violations.length > 0) {
        return fail(
          index,
          event.eventId,
          "invalid_envelope",
          violations.map((v) => `${v.path}: ${v.message}`).join("; "),
          violations.map((v) =>
            create(FieldViolationSchema, { path: v.path, rule: v.rule, message: v.message }),
          ),
        );
      }
      const span = opts.tracer?.startEvent(
        "collector.publish",
        receivedAtMs,
        event.traceContext?.traceparent,
      );
      if (span !== undefined && span.traceparent !== "") {
        event.traceContext = {
          $typeName: "langtian.envelope.v1.TraceContext",
          traceparent: span.traceparent,
          tracestate: event.traceContext?.tracestate ?? "",
        };
      }
      const data = encodeEnvelope(event);
      if (data.length > opts.maxEventBytes) {
        span?.end(undefined, "too_large");
        return fail(index, event.eventId, "too_large", `${data.length} bytes > ${opts.maxEventBytes}`);
      }
      if (span?.recording) {
        span.setAttributes({
          "messaging.system": "nats",
          "messaging.destination.name": `${opts.subjectPrefix}.${event.eventType}`,
          "langtian.event_id": event.eventId,
          "langtian.event_type": event.eventType,
          "langtian.listener": "push",
        });
      }
      try {
        const headerLines = eventHeaderLines(event, opts.maxEventBytes - data.length);
        const outcome = await delivery.submit({
          subject: `${opts.subjectPrefix}.${event.eventType}`,
          // Scoped by source: a pushing system chooses its own ids, and with the bare id it
          // could make JetStream drop another source's events (device ids are derivable) as
          // "duplicates". Its own resends still share one id and are dropped.
          msgId: `${event.sourceSystem}/${event.eventId}`,
          data,
          receivedAtMs,
          ...(headerLines === undefined ? {} : { eventHeaderLines: headerLines }),
        });
        span?.end();
        metrics.ingestEvents.inc({ result: "accepted" });
        accepted.push(
          create(AcceptedEventSchema, { index, eventId: event.eventId, outcome: OUTCOMES[outcome] }),
        );
      } catch (err) {
        span?.end(undefined, err instanceof Error ? err.message : String(err));
        if (!(err instanceof DeliveryRejectedError)) throw err;
        fail(index, event.eventId, err.reason, err.message);
      }
    }),
  );
  accepted.sort((a, b) => a.index - b.index);
  errors.sort((a, b) => a.index - b.index);
  return create(IngestResponseSchema, { acceptedCount: accepted.length, accepted, errors });
}
