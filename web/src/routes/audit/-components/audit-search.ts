import { type SearchField, searchParser, text, wholeNumber } from "../../../ui/search-params.ts";

/** A view of the audit log as typed URL search params: who, what, and the page. */
export interface AuditSearch {
  /** Only this actor (the credential's name). */
  readonly actor?: string;
  /** Only this action (the RPC, e.g. "ReplayDeadLetters"). */
  readonly action?: string;
  /** Only entries older than this sequence; unset = from the newest. */
  readonly before?: number;
  /**
   * The `before` of the pages between the newest and this one, oldest last: "Newer" goes back to
   * the last of them (or to the newest page when there is none).
   */
  readonly newer?: readonly number[];
}

/** The mutating actions the admin audits (more may appear; the list also offers those seen). */
export const KNOWN_ACTIONS = [
  "DrainInstance",
  "ReplayDeadLetters",
  "SetConnectorConfig",
  "RollbackConnectorConfig",
] as const;

/** Page bounds: whole numbers of at least 2, one or many; anything else is dropped. */
const pageBounds: SearchField<number[]> = (value) => {
  const bound = wholeNumber({ min: 2 });
  const out = (Array.isArray(value) ? value : [value]).map(bound).filter((v): v is number => v !== undefined);
  return out.length === 0 ? undefined : out;
};

/** The route's `validateSearch`: keeps what is valid and drops the rest. */
export const validateAuditSearch = searchParser<AuditSearch>({
  actor: text,
  action: text,
  // Older than 1 is nothing: the first entry's sequence is 1.
  before: wholeNumber({ min: 2 }),
  newer: pageBounds,
});

/**
 * Entries read per page. The log has no server-side filter: a filtered view reads a larger
 * page (the most the admin answers) and filters it here.
 */
export function pageSizeOf(search: AuditSearch): number {
  return search.actor === undefined && search.action === undefined ? 100 : 1000;
}
