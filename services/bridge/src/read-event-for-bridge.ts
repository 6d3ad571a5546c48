import { decodeEnvelope, ViolationRule, validateEnvelope } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";

/** Why a message cannot be bridged, written into the dead-letter record. `as const`, not an enum. */
export const PoisonReason = {
  undecodable: "undecodable-envelope",
  invalid: "invalid-envelope",
  tooLarge: "too-large-for-kafka",
} as const;
/** One of {@link PoisonReason}'s values. */
export type PoisonReason = (typeof PoisonReason)[keyof typeof PoisonReason];

/** What {@link readEventForBridge} made of one JetStream payload: its envelope, or why it is poison. */
export type EventReadResult =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly reason: PoisonReason; readonly detail: string };

/**
 * Decodes and validates an envelope with the platform's shared rules. The bridge forwards the
 * original bytes untouched; it decodes only a message whose NATS headers do not carry the
 * event's metadata (an older collector, another publisher, malformed headers), to key and
 * label the record. Lateness is not the
 * bridge's call (a replay or a long outage legitimately carries old timestamps), so
 * `timestamp_range` violations are ignored here. Decoding uses the shared wire reader
 * (`decodeEnvelope`: same result as the generic decoder, a fraction of its cost per message).
 * Never throws: a payload that cannot be bridged is a result (poison), not an error.
 */
export function readEventForBridge(data: Uint8Array): EventReadResult {
  let envelope: Envelope;
  try {
    envelope = decodeEnvelope(data);
  } catch (err) {
    return { ok: false, reason: PoisonReason.undecodable, detail: (err as Error).message };
  }
  const violations = validateEnvelope(envelope).filter((v) => v.rule !== ViolationRule.timestampRange);
  if (violations.length > 0) {
    const detail = violations.map((v) => `${v.path} ${v.message}`).join("; ");
    return { ok: false, reason: PoisonReason.invalid, detail };
  }
  return { ok: true, envelope };
}
