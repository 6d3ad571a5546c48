/**
 * Limits of {@link validateEnvelope}. Lengths are UTF-8 bytes, so every language measures
 * them the same way.
 */
export interface EnvelopeLimits {
  /** Largest payload accepted, in bytes. Default 1 MiB (JetStream's default max message is 1 MiB). */
  readonly maxPayloadBytes: number;
  /** How far event_timestamp may be ahead of now (device clock skew). Default 1 hour. */
  readonly maxFutureSkewMs: number;
  /** How far event_timestamp may be behind now (devices buffering offline, backfills). Default 366 days. */
  readonly maxPastAgeMs: number;
  /** Longest event_type. Default 128 bytes. */
  readonly maxEventTypeBytes: number;
  /** Longest source_system. Default 128 bytes. */
  readonly maxSourceSystemBytes: number;
  /** Longest partition_key. Default 256 bytes. */
  readonly maxPartitionKeyBytes: number;
  /** Longest payload_type. Default 256 bytes. */
  readonly maxPayloadTypeBytes: number;
  /** Most attributes per envelope. Default 32. */
  readonly maxAttributes: number;
  /** Longest attribute key. Default 64 bytes. */
  readonly maxAttributeKeyBytes: number;
  /** Longest attribute value. Default 1024 bytes. */
  readonly maxAttributeValueBytes: number;
  /**
   * UUID versions accepted in event_id. Default 7 (time-ordered, preferred: what `uuidv7()`
   * makes), 5 (name-based: what `deterministicEventId()` makes) and 4 (random, for external
   * producers that have nothing better).
   */
  readonly acceptedUuidVersions: readonly number[];
}

/** The limits used when a caller does not override them. */
export const defaultEnvelopeLimits: EnvelopeLimits = Object.freeze({
  maxPayloadBytes: 1024 * 1024,
  maxFutureSkewMs: 60 * 60_000,
  maxPastAgeMs: 366 * 24 * 60 * 60_000,
  maxEventTypeBytes: 128,
  maxSourceSystemBytes: 128,
  maxPartitionKeyBytes: 256,
  maxPayloadTypeBytes: 256,
  maxAttributes: 32,
  maxAttributeKeyBytes: 64,
  maxAttributeValueBytes: 1024,
  acceptedUuidVersions: Object.freeze([7, 5, 4]),
});
