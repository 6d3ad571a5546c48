import { EventHeader } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";
import { type EventMetadata, metadataFromEnvelope } from "./event-metadata.ts";

/** One routing rule: JetStream subjects matching `subject` (NATS wildcards `*` and `>`) go to `topic`. */
export interface TopicRule {
  readonly subject: string;
  readonly topic: string;
}

/** Routes subjects to Kafka topics: first matching rule wins, else the default topic. */
export interface TopicRouter {
  topicFor(subject: string): string;
}

/**
 * Tells whether a concrete NATS subject matches a pattern with NATS wildcards:
 * `*` matches exactly one token, `>` (last token only) matches one or more tokens.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === ">") return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (token !== "*" && token !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * Builds the subject → topic router. Results are memoised per subject because a stream
 * carries few distinct subjects but every message asks.
 */
export function createTopicRouter(rules: readonly TopicRule[], defaultTopic: string): TopicRouter {
  const cache = new Map<string, string>();
  return {
    topicFor(subject: string): string {
      let topic = cache.get(subject);
      if (topic === undefined) {
        topic = rules.find((rule) => subjectMatches(rule.subject, subject))?.topic ?? defaultTopic;
        // Bound the cache so a stream with unbounded subject cardinality cannot grow memory.
        if (cache.size > 10_000) cache.clear();
        cache.set(subject, topic);
      }
      return topic;
    },
  };
}

/**
 * Parses rules written as `pattern=topic` pairs separated by commas
 * (`devices.*.telemetry=telemetry,devices.>=devices`). Returns the problems found, not throws,
 * so config loading can list them all.
 */
export function parseTopicRules(text: string): { rules: TopicRule[]; problems: string[] } {
  const rules: TopicRule[] = [];
  const problems: string[] = [];
  for (const part of text.split(",")) {
    const item = part.trim();
    if (item === "") continue;
    const eq = item.lastIndexOf("=");
    const subject = eq > 0 ? item.slice(0, eq).trim() : "";
    const topic = eq > 0 ? item.slice(eq + 1).trim() : "";
    if (subject === "" || topic === "") {
      problems.push(`topic rule "${item}" is not "subject-pattern=topic"`);
    } else if (!isValidSubjectPattern(subject)) {
      problems.push(`topic rule "${item}": "${subject}" is not a valid NATS subject pattern`);
    } else if (!isValidTopicName(topic)) {
      problems.push(`topic rule "${item}": "${topic}" is not a valid Kafka topic name`);
    } else {
      rules.push({ subject, topic });
    }
  }
  return { rules, problems };
}

/** A NATS subject pattern: non-empty tokens, `>` only as the last token. */
export function isValidSubjectPattern(pattern: string): boolean {
  const tokens = pattern.split(".");
  return tokens.every(
    (t, i) =>
      t !== "" &&
      !/\s/.test(t) &&
      (t !== ">" || i === tokens.length - 1) &&
      (t.length === 1 || !/[*>]/.test(t)),
  );
}

/** Kafka's own topic-name rule: 1–249 of `[a-zA-Z0-9._-]`, not `.` or `..`. */
export function isValidTopicName(topic: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(topic) && topic !== "." && topic !== "..";
}

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
