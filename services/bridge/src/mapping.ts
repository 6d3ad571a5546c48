import { EventHeader } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";
import { type EventMetadata, metadataFromEnvelope } from "./event-metadata.ts";

// Routing is shared with the admin (which checks and dry-runs the shared connector
// configuration): it lives in @langtian/connector-config, re-exported here for the bridge.
export {
  createTopicRouter,
  isValidSubjectPattern,
  isValidTopicName,
  parseTopicRules,
  subjectMatches,
  type TopicRouter,
  type TopicRule,
} from "@langtian/connector-config";

/**
 * Kafka header names written by the bridge. Lower-case, prefixed, stable: consumers select on
 * them. The event's metadata has the names the collector uses for its NATS headers.
 */
export const BridgeHeaders = {
  eventId: EventHeader.eventId,
  eventType: EventHeader.eventType,
  eventTimestamp: EventHeader.eventTimestamp,
  schemaVersion: EventHeader.schemaVersion,
  sourceSystem: EventHeader.sourceSystem,
  partitionKey: EventHeader.partitionKey,
  payloadType: EventHeader.payloadType,
  natsMsgId: "Nats-Msg-Id",
  natsSubject: "langtian-nats-subject",
  natsStreamSequence: "langtian-nats-stream-seq",
  traceparent: EventHeader.traceparent,
  tracestate: EventHeader.tracestate,
  deadLetterReason: "langtian-dead-letter-reason",
  deadLetterDeliveries: "langtian-dead-letter-deliveries",
} as const;

/**
 * The Kafka record key: `partition_key` when the producer set one, else `source_system`. One
 * event always gets the same key, so its copies (redeliveries) land in one partition.
 */
export function recordKey(event: {
  readonly partitionKey?: string | undefined;
  readonly sourceSystem: string;
}): string {
  return event.partitionKey !== undefined && event.partitionKey !== ""
    ? event.partitionKey
    : event.sourceSystem;
}

/** Where a JetStream message came from, as far as headers are concerned. */
export interface SourceInfo {
  readonly subject: string;
  readonly streamSequence: number;
  /** `Nats-Msg-Id` of the publish (the collector sets it to the event id for dedupe). */
  readonly natsMsgId: string | undefined;
  /** `traceparent` / `tracestate` NATS headers, which win over the envelope's own copy. */
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
}

/**
 * Which headers a record carries. `full`: the envelope metadata, the NATS origin and the trace
 * context. `minimal`: only the event id, `Nats-Msg-Id` and the trace context — everything else
 * is in the value (the envelope itself); the Kafka client's cost per record is mostly its
 * headers (see docs/PERFORMANCE.md), so this trades consumer convenience for throughput.
 */
export const HeaderSet = { full: "full", minimal: "minimal" } as const;
/** One of {@link HeaderSet}'s values. */
export type HeaderSet = (typeof HeaderSet)[keyof typeof HeaderSet];

/**
 * Kafka headers for one event: its metadata (so consumers can route and dedupe without
 * decoding the value), the NATS origin and the W3C trace context; with the `minimal` set only
 * the ids and the trace context. The same whether the metadata came from the NATS headers or
 * from the decoded envelope (which may be passed as it is).
 */
export function recordHeaders(
  eventOrEnvelope: EventMetadata | Envelope,
  source: SourceInfo,
  set: HeaderSet = HeaderSet.full,
): Map<string, string> {
  const event = "$typeName" in eventOrEnvelope ? metadataFromEnvelope(eventOrEnvelope) : eventOrEnvelope;
  const h = new Map<string, string>();
  h.set(BridgeHeaders.eventId, event.eventId);
  if (set === HeaderSet.minimal) {
    h.set(BridgeHeaders.natsMsgId, source.natsMsgId ?? event.eventId);
    addTraceContext(h, event, source);
    return h;
  }
  h.set(BridgeHeaders.eventType, event.eventType);
  if (event.eventTimestampIso !== undefined) h.set(BridgeHeaders.eventTimestamp, event.eventTimestampIso);
  h.set(BridgeHeaders.schemaVersion, event.schemaVersion);
  h.set(BridgeHeaders.sourceSystem, event.sourceSystem);
  if (event.partitionKey !== undefined) h.set(BridgeHeaders.partitionKey, event.partitionKey);
  h.set(BridgeHeaders.payloadType, event.payloadType);
  h.set(BridgeHeaders.natsMsgId, source.natsMsgId ?? event.eventId);
  h.set(BridgeHeaders.natsSubject, source.subject);
  h.set(BridgeHeaders.natsStreamSequence, String(source.streamSequence));
  addTraceContext(h, event, source);
  return h;
}

/** `traceparent` / `tracestate`: the NATS headers win over the envelope's own copy. */
function addTraceContext(h: Map<string, string>, event: EventMetadata, source: SourceInfo): void {
  const traceparent = source.traceparent ?? event.traceparent;
  if (traceparent !== undefined) h.set(BridgeHeaders.traceparent, traceparent);
  const tracestate = source.tracestate ?? event.tracestate;
  if (tracestate !== undefined) h.set(BridgeHeaders.tracestate, tracestate);
}
