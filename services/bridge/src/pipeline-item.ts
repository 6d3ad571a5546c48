import type { EventSpan } from "@langtian/service-kit";
import { BridgeHeaders } from "./mapping.ts";
import type { InboundMessage, OutboundRecord } from "./pipeline-ports.ts";
import type { PoisonReason } from "./read-event-for-bridge.ts";

/** What to do with the JetStream message once its record is confirmed. */
export type Settle =
  | { readonly kind: "ack"; readonly eventMs: number | undefined }
  | { readonly kind: "term"; readonly reason: string };

/** One held message: the record to write for it, its size and how to settle it once written. */
export interface Item {
  readonly msg: InboundMessage;
  readonly record: OutboundRecord;
  readonly bytes: number;
  readonly settle: Settle;
  /** The event's bridge span, when its trace is recorded here: ended as the item settles. */
  readonly span?: EventSpan;
}

/**
 * The dead-letter item of a poison message: its record says why and where it came from, and
 * once written the message is terminated. `keepValue` is false when the value itself is the
 * problem (too large for Kafka).
 */
export function deadLetterItem(
  msg: InboundMessage,
  deadLetterTopic: string,
  reason: PoisonReason,
  detail: string,
  keepValue: boolean,
): Item {
  const headers = new Map<string, string>([
    [BridgeHeaders.deadLetterReason, `${reason}: ${detail}`],
    [BridgeHeaders.deadLetterDeliveries, String(msg.deliveryCount)],
    [BridgeHeaders.natsSubject, msg.subject],
    [BridgeHeaders.natsStreamSequence, String(msg.streamSequence)],
  ]);
  const msgId = msg.header(BridgeHeaders.natsMsgId);
  if (msgId !== undefined) headers.set(BridgeHeaders.natsMsgId, msgId);
  const value = keepValue ? msg.data : undefined;
  return {
    msg,
    record: { topic: deadLetterTopic, key: msg.subject, value, headers },
    bytes: (value?.length ?? 0) + 512,
    settle: { kind: "term", reason },
  };
}
