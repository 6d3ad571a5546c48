/** A view of the audit log as typed URL search params: who, what, and the page. */
export interface AuditSearch {
  /** Only this actor (the credential's name). */
  readonly actor?: string;
  /** Only this action (the RPC, e.g. "ReplayDeadLetters"). */
  readonly action?: string;
  /** Only entries older than this sequence; unset = from the newest. */
  readonly before?: number;
}

/** The mutating actions the admin audits (more may appear; the list also offers those seen). */
export const KNOWN_ACTIONS = [
  "DrainInstance",
  "ReplayDeadLetters",
  "SetConnectorConfig",
  "RollbackConnectorConfig",
] as const;

const text = (value: unknown): string | undefined => {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
};

/** The route's `validateSearch`: keeps what is valid and drops the rest. */
export function validateAuditSearch(raw: Record<string, unknown>): AuditSearch {
  const out: { -readonly [K in keyof AuditSearch]: AuditSearch[K] } = {};
  const actor = text(raw.actor);
  if (actor !== undefined) out.actor = actor;
  const action = text(raw.action);
  if (action !== undefined) out.action = action;
  const before = Number(raw.before);
  if (raw.before !== undefined && Number.isSafeInteger(before) && before > 1) out.before = before;
  return out;
}

/**
 * Entries read per page. The log has no server-side filter: a filtered view reads a larger
 * page (the most the admin answers) and filters it here.
 */
export function pageSizeOf(search: AuditSearch): number {
  return search.actor === undefined && search.action === undefined ? 100 : 1000;
}
