import type { Message, Registry } from "@bufbuild/protobuf";
import {
  ENVELOPE_COLUMNS,
  eventTableName,
  RAW_PAYLOAD_COLUMN as RAW_PAYLOAD,
  RESERVED_COLUMN_NAMES as RESERVED,
} from "@langtian/contracts";
import { decodeEnvelope, decodePayload, validateEnvelope } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";
import type { CellValue, ColumnSpec } from "../lake/columns.ts";
import { type PayloadColumns, payloadColumns, timestampMicros } from "./payload-columns.ts";
import { compilePayloadDecoder } from "./payload-decoder.ts";
import type { TableSpec } from "./table-manager.ts";

/** Where a record came from: written next to every row for lineage and dedupe checks. */
export interface RecordOrigin {
  source: string;
  partition: string;
  position: bigint;
}

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

/** Where records of one (event type, schema version, payload type) go, decided once. */
interface Route {
  spec: TableSpec;
  /** Typed payload columns; absent when the registry does not know the payload type. */
  payload?: PayloadColumns;
  /** Fast payload decoder (see compilePayloadDecoder); `decodePayload` when it declines. */
  decode?: (bytes: Uint8Array) => Message | undefined;
}

/**
 * Routes by registry, then event type, schema version and payload type: deciding the
 * table (regex, string building, registry lookup) once per combination instead of once
 * per record. Only known payload types are cached, so a type a mutable registry gains
 * later is picked up.
 */
const routes = new WeakMap<Registry, Map<string, Map<string, Map<string, Route>>>>();

function routeOf(registry: Registry, envelope: Envelope): Route {
  let byType = routes.get(registry);
  if (!byType) {
    byType = new Map();
    routes.set(registry, byType);
  }
  let byVersion = byType.get(envelope.eventType);
  if (!byVersion) {
    byVersion = new Map();
    byType.set(envelope.eventType, byVersion);
  }
  let byPayload = byVersion.get(envelope.schemaVersion);
  if (!byPayload) {
    byPayload = new Map();
    byVersion.set(envelope.schemaVersion, byPayload);
  }
  const cached = byPayload.get(envelope.payloadType);
  if (cached) return cached;
  const name = eventTableName(envelope.eventType, envelope.schemaVersion);
  const schema = registry.getMessage(envelope.payloadType);
  if (!schema) return { spec: tableSpec(name, "", [RAW_PAYLOAD]) };
  const payload = payloadColumns(schema, RESERVED);
  const decode = compilePayloadDecoder(schema);
  const route: Route = { spec: tableSpec(name, schema.typeName, [...payload.columns, RAW_PAYLOAD]), payload };
  if (decode) route.decode = decode;
  byPayload.set(envelope.payloadType, route);
  return route;
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
    const violations = validateEnvelope(envelope, REPLAYABLE);
    if (violations.length > 0) {
      const message = violations.map((v) => `${v.path}: ${v.message}`).join("; ");
      return dead(bytes, origin, "invalid_envelope", message, envelope);
    }
    const route = routeOf(registry, envelope);
    const row: CellValue[] = [
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
    if (!route.payload) row.push(envelope.payload);
    else {
      // The fast decoder declines anything it does not reproduce exactly, unknown fields
      // included; only then can the message carry fields the typed columns would lose.
      const fast = route.decode?.(envelope.payload);
      const message = fast ?? decodePayload(envelope, registry);
      for (const cell of route.payload.cells(message)) row.push(cell);
      row.push(fast === undefined && hasUnknownFields(message) ? envelope.payload : null);
    }
    return { kind: "row", spec: route.spec, row, envelope };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return dead(bytes, origin, error.name, error.message, envelope);
  }
}

/** Whether a decoded message, or any message inside it, holds fields its schema does not name. */
export function hasUnknownFields(value: unknown): boolean {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return false;
  if (Array.isArray(value)) return value.some(hasUnknownFields);
  const unknown = (value as { $unknown?: unknown[] }).$unknown;
  if (unknown !== undefined && unknown.length > 0) return true;
  return Object.values(value).some(hasUnknownFields);
}

/** Validation options without the clock-relative bounds (allocated once: every record uses them). */
const REPLAYABLE = {
  limits: { maxFutureSkewMs: Number.POSITIVE_INFINITY, maxPastAgeMs: Number.POSITIVE_INFINITY },
};

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
