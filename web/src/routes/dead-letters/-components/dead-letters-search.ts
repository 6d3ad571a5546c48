import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type ListDeadLettersRequest, ListDeadLettersRequestSchema } from "@langtian/proto";
import { oneOf, searchParser, text, textList, time } from "../../../ui/search-params.ts";

/** The stages that dead-letter, as the admin names them. */
export const Stage = { collector: "collector", bridge: "bridge", lakeWriter: "lake-writer" } as const;
/** One of {@link Stage}. */
export type Stage = (typeof Stage)[keyof typeof Stage];

/** Entries per page. */
export const PAGE_SIZE = 50;

/** A view of the dead letters as typed URL search params: the filters, the page and the one open. */
export interface DeadLettersSearch {
  readonly stage?: Stage;
  /** The stage's reason code (the lake writer's error kind). */
  readonly reason?: string;
  /** Failed at or after, RFC 3339 (UTC). */
  readonly since?: string;
  /** Failed before, RFC 3339 (UTC). */
  readonly until?: string;
  /** The page: a next_cursor of the list; unset = the newest page. */
  readonly cursor?: string;
  /**
   * The cursors of the pages between the newest and this one, oldest last: "Newer" goes back to
   * the last of them (or to the newest page when there is none) while the URL stays the view.
   */
  readonly newer?: readonly string[];
  /** The dead letter shown in the inspector. */
  readonly open?: string;
}

/** The route's `validateSearch`: keeps what is valid and drops the rest, so a hand-edited link still opens. */
export const validateDeadLettersSearch = searchParser<DeadLettersSearch>({
  stage: oneOf(Object.values(Stage)),
  reason: text,
  since: time,
  until: time,
  cursor: text,
  newer: textList,
  open: text,
});

/** The ListDeadLetters request of a view. */
export function listRequestOf(search: DeadLettersSearch): ListDeadLettersRequest {
  return create(ListDeadLettersRequestSchema, {
    stage: search.stage ?? "",
    reason: search.reason ?? "",
    ...(search.since === undefined ? {} : { since: timestampFromMs(Date.parse(search.since)) }),
    ...(search.until === undefined ? {} : { until: timestampFromMs(Date.parse(search.until)) }),
    limit: PAGE_SIZE,
    cursor: search.cursor ?? "",
  });
}

/** An RFC 3339 time as the value of a `datetime-local` input (local time, minutes). */
export function toLocalInput(iso: string | undefined): string {
  if (iso === undefined) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (local time) as RFC 3339 UTC; undefined when empty or invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (value === "") return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
