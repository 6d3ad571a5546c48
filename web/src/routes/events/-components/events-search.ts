import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type At, AtSchema, type EventFilter, EventFilterSchema } from "@langtian/proto";
import {
  oneOf,
  searchParser,
  text,
  textList,
  time,
  wholeNumber,
  withoutDefault,
} from "../../../ui/search-params.ts";

/** Browse order: newest first (the default: what just landed) or oldest first. */
export const Order = { newest: "newest", oldest: "oldest" } as const;
/** One of {@link Order}. */
export type Order = (typeof Order)[keyof typeof Order];

/**
 * Everything a view of the lake browser is, as typed URL search params: every filter, the
 * pinned snapshot, the order and the chosen columns. A link to the page is the view.
 */
export interface EventsSearch {
  /** Event table; unset = the first event table of the lake. */
  readonly table?: string;
  /** Inclusive lower bound of event_timestamp, RFC 3339 (UTC). */
  readonly from?: string;
  /** Exclusive upper bound of event_timestamp, RFC 3339 (UTC). */
  readonly to?: string;
  readonly type?: string;
  readonly source?: string;
  /** Partition key. */
  readonly key?: string;
  /** Event id. */
  readonly id?: string;
  /** Payload (or any other) column filters, each `column=value`. */
  readonly where?: readonly string[];
  /** Time travel: the snapshot browsed; unset = the latest (pinned by the first page). */
  readonly snapshot?: number;
  readonly order?: Order;
  /** Visible columns in order; unset = the defaults. */
  readonly cols?: readonly string[];
}

/**
 * The route's `validateSearch`: keeps what is valid, drops the rest (a hand-edited link still
 * opens). Values the router parsed as numbers (a key "42") come back as strings.
 */
export const validateEventsSearch = searchParser<EventsSearch>({
  table: text,
  from: time,
  to: time,
  type: text,
  source: text,
  key: text,
  id: text,
  where: (value) => {
    const where = textList(value)?.filter((w) => parseWhere(w) !== undefined);
    return where === undefined || where.length === 0 ? undefined : where;
  },
  snapshot: wholeNumber(),
  order: withoutDefault(oneOf(Object.values(Order)), Order.newest),
  cols: textList,
});

/** `column=value` split at the first `=`; undefined without a column name. */
export function parseWhere(where: string): { column: string; value: string } | undefined {
  const at = where.indexOf("=");
  if (at <= 0) return undefined;
  const column = where.slice(0, at).trim();
  return column === "" ? undefined : { column, value: where.slice(at + 1).trim() };
}

/** The search params that select events (not the view: order, columns); for "which filters" and keys. */
export const FILTER_PARAMS = ["from", "to", "type", "source", "key", "id", "where"] as const;

/** The QueryService filter of a view. */
export function eventFilterOf(search: EventsSearch, table: string): EventFilter {
  const columns = (search.where ?? []).flatMap((w) => {
    const parsed = parseWhere(w);
    return parsed === undefined
      ? []
      : [{ column: parsed.column, value: { kind: { case: "stringValue" as const, value: parsed.value } } }];
  });
  return create(EventFilterSchema, {
    table,
    ...(search.from === undefined ? {} : { from: timestampFromMs(Date.parse(search.from)) }),
    ...(search.to === undefined ? {} : { to: timestampFromMs(Date.parse(search.to)) }),
    ...(search.type === undefined ? {} : { eventType: search.type }),
    ...(search.source === undefined ? {} : { sourceSystem: search.source }),
    ...(search.key === undefined ? {} : { partitionKey: search.key }),
    ...(search.id === undefined ? {} : { eventId: search.id }),
    columns,
  });
}

/** Time travel to a snapshot id; undefined = the latest. */
export function atOf(snapshot: number | bigint | undefined): At | undefined {
  if (snapshot === undefined) return undefined;
  return create(AtSchema, { at: { case: "snapshotId", value: BigInt(snapshot) } });
}

/** The active filters in words, e.g. `type = device.telemetry, from 2026-12-02T12:00:00.000Z`. */
export function describeFilters(search: EventsSearch): string[] {
  const out: string[] = [];
  if (search.from !== undefined) out.push(`from ${search.from}`);
  if (search.to !== undefined) out.push(`before ${search.to}`);
  if (search.type !== undefined) out.push(`type = ${search.type}`);
  if (search.source !== undefined) out.push(`source = ${search.source}`);
  if (search.key !== undefined) out.push(`key = ${search.key}`);
  if (search.id !== undefined) out.push(`id = ${search.id}`);
  for (const w of search.where ?? []) {
    const parsed = parseWhere(w);
    if (parsed !== undefined) out.push(`${parsed.column} = ${parsed.value}`);
  }
  return out;
}

/** An RFC 3339 time as the value of a `datetime-local` input (local time, seconds). */
export function toLocalInput(iso: string | undefined): string {
  if (iso === undefined) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
}

/** A `datetime-local` input's value (local time) as RFC 3339 UTC; undefined when empty or invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (value.trim() === "") return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
