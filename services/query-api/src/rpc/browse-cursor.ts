import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { type EventFilter, EventFilterSchema } from "@langtian/proto";
import { BadRequestError } from "../lake/lake-catalog.ts";

/** What a browse cursor pins: the snapshot, the filter, the direction, the page size and the key to continue after. */
export interface BrowseCursor {
  readonly snapshot: bigint;
  readonly filter: EventFilter;
  readonly backward: boolean;
  readonly pageSize: number;
  /** `event_timestamp` (RFC 3339) and `event_id` of the last row already returned. */
  readonly after: { readonly timestamp: string; readonly eventId: string };
}

/** Encodes a cursor (base64url JSON: opaque to clients, readable in logs when decoded). */
export function encodeCursor(cursor: BrowseCursor): string {
  const json = {
    v: 1,
    s: cursor.snapshot.toString(),
    f: toJson(EventFilterSchema, cursor.filter),
    b: cursor.backward,
    n: cursor.pageSize,
    t: cursor.after.timestamp,
    i: cursor.after.eventId,
  };
  return Buffer.from(JSON.stringify(json), "utf8").toString("base64url");
}

/** Decodes a cursor; anything malformed is `invalid_argument`, never a server fault. */
export function decodeCursor(text: string): BrowseCursor {
  try {
    const json = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Record<string, unknown>;
    if (json.v !== 1 || typeof json.s !== "string" || !/^\d+$/.test(json.s))
      throw new Error("version or snapshot");
    if (typeof json.b !== "boolean" || typeof json.n !== "number" || !Number.isInteger(json.n))
      throw new Error("shape");
    if (typeof json.t !== "string" || Number.isNaN(Date.parse(json.t)) || typeof json.i !== "string")
      throw new Error("key");
    return {
      snapshot: BigInt(json.s),
      filter: fromJson(EventFilterSchema, json.f as JsonValue),
      backward: json.b,
      pageSize: json.n,
      after: { timestamp: json.t, eventId: json.i },
    };
  } catch {
    throw new BadRequestError("malformed cursor: pass next_cursor or previous_cursor back unchanged");
  }
}
