/** What a query API key may do. `operator` includes everything a `reader` may. */
export const Role = {
  /** Reads the lake. */
  reader: "reader",
  /** Reads, and what operators may do beyond reading (none yet beside the kit's Drain). */
  operator: "operator",
} as const;
/** One of {@link Role}'s values. */
export type Role = (typeof Role)[keyof typeof Role];

/** The roles, lowest first. */
export const ROLES: readonly Role[] = [Role.reader, Role.operator];
