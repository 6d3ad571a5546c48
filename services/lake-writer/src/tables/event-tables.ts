import type { Registry } from "@bufbuild/protobuf";
import { decodeEnvelope, decodePayload, validateEnvelope } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";
import type { CellValue, ColumnSpec } from "../lake/columns.ts";
import { payloadColumns, timestampMicros } from "./payload-columns.ts";
import type { TableSpec } from "./table-manager.ts";

/** Where a record came from: written next to every row for lineage and dedupe checks. */
export interface RecordOrigin {
  source: string;
  partition: string;
  position: bigint;
}

/** Columns every event table starts with: the envelope, then the record's origin. */
export const ENVELOPE_COLUMNS: readonly ColumnSpec[] = [
  { name: "event_id", type: "VARCHAR" },
  { name: "event_type", type: "VARCHAR" },
  { name: "event_timestamp", type: "TIMESTAMPTZ" },
  { name: "received_timestamp", type: "TIMESTAMPTZ" },
  { name: "schema_version", type: "VARCHAR" },
  { name: "source_system", type: "VARCHAR" },
  { name: "partition_key", type: "VARCHAR" },
  { name: "payload_type", type: "VARCHAR" },
  { name: "attributes", type: "JSON" },
  { name: "traceparent", type: "VARCHAR" },
  { name: "_source", type: "VARCHAR" },
  { name: "_partition", type: "VARCHAR" },
  { name: "_position", type: "BIGINT" },
];

const RESERVED = new Set([...ENVELOPE_COLUMNS.map((c) => c.name), "payload"]);

/** Column holding the undecoded payload of types the registry does not know. */
const RAW_PAYLOAD: ColumnSpec = { name: "payload", type: "BLOB" };

/** The dead-letter table: what could not be written, why, and where it came from. */
export const DEAD_LETTER_TABLE: TableSpec = {
  name: "dead_letters",
  columns: [
    { name: "_source", type: "VARCHAR" },
    { name: "_partition", type: "VARCHAR" },
    { name: "_position", type: "BIGINT" },
    { name: "raw", type: "BLOB" },
    { name: "error_kind", type: "VARCHAR" },
    { name: "error", type: "VARCHAR" },
    { name: "event_id", type: "VARCHAR" },
    { name: "event_type", type: "VARCHAR" },
    { name: "failed_at", type: "TIMESTAMPTZ" },
  ],
};

/**
 * Table of an event type and MAJOR schema version: `device.telemetry` 1.x →
 * `device_telemetry_v1`. A new MAJOR version is a breaking change, so it gets its own
 * table instead of mutating the old one; MINOR versions share it (new fields add columns).
 */
export function eventTableName(eventType: string, schemaVersion: string): string {
  const major = /^(\d+)/.exec(schemaVersion)?.[1] ?? "0";
  return `${eventType.replace(/[^a-z0-9]+/g, "_")}_v${major}`;
}

const specs = new Map<string, TableSpec>();

/** One shared spec per (table, payload type), so a batch can group rows by identity. */
function tableSpec(name: string, payloadType: string, payload: readonly ColumnSpec[]): TableSpec {
  const key = `${name}\u0000${payloadType}`;
  let spec = specs.get(key);
  if (!spec) {
    spec = { name, columns: [...ENVELOPE_COLUMNS, ...payload], partitionByDayOf: "event_timestamp" };
    specs.set(key, spec);
  }
  return spec;
}

/** One decoded record: its table and its row, or the reason it is a dead letter. */
export type RoutedRecord =
  | { kind: "row"; spec: TableSpec; row: CellValue[]; envelope: Envelope }
  | { kind: "dead"; row: CellValue[] };

/**
 * Decodes and validates one raw record and routes it: a row for its event table, or a
 * dead-letter row (undecodable bytes, invalid envelope, undecodable known payload).
 * Never throws for bad input. Validation ignores the clock-relative bounds so a replay
 * routes every record exactly as the first pass did.
 */
export function routeRecord(bytes: Uint8Array, origin: RecordOrigin, registry: Registry): RoutedRecord {
  let envelope: Envelope | undefined;
  try {
    envelope = decodeEnvelope(bytes);
    const violations = validateEnvelope(envelope, {
      limits: { maxFutureSkewMs: Number.POSITIVE_INFINITY, maxPastAgeMs: Number.POSITIVE_INFINITY },
    });
    if (violations.length > 0) {
      const message = violations.map((v) => `${v.path}: ${v.message}`).join("; ");
      return dead(bytes, origin, "invalid_envelope", message, envelope);
    }
    const base: CellValue[] = [
      envelope.eventId,
      envelope.eventType,
      timestampMicros(envelope.eventTimestamp),
      timestampMicros(envelope.receivedTimestamp),
      envelope.schemaVersion,
      envelope.sourceSystem,
      envelope.partitionKey ?? null,
      envelope.payloadType,
      JSON.stringify(envelope.attributes),
      envelope.traceContext?.traceparent || null,
      origin.source,
      origin.partition,
      origin.position,
    ];
    const name = eventTableName(envelope.eventType, envelope.schemaVersion);
    const schema = registry.getMessage(envelope.payloadType);
    if (!schema) {
      return {
        kind: "row",
        spec: tableSpec(name, "", [RAW_PAYLOAD]),
        row: [...base, envelope.payload],
        envelope,
      };
    }
    const payload = payloadColumns(schema, RESERVED);
    const cells = payload.cells(decodePayload(envelope, registry));
    return {
      kind: "row",
      spec: tableSpec(name, schema.typeName, payload.columns),
      row: [...base, ...cells],
      envelope,
    };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return dead(bytes, origin, error.name, error.message, envelope);
  }
}

function dead(
  bytes: Uint8Array,
  origin: RecordOrigin,
  kind: string,
  error: string,
  envelope: Envelope | undefined,
): RoutedRecord {
  return {
    kind: "dead",
    row: [
      origin.source,
      origin.partition,
      origin.position,
      bytes,
      kind,
      error,
      envelope?.eventId || null,
      envelope?.eventType || null,
      BigInt(Date.now()) * 1000n,
    ],
  };
}
