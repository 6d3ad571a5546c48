import { type ContextValues, createContextKey } from "@connectrpc/connect";
import { type ApiKey, type ApiKeys, parseApiKeys, secretDigest } from "@langtian/service-kit";

/** What an admin key may do. `operator` includes everything a `viewer` may. */
export const Role = {
  /** Sees everything: overview, tail, dead letters, configuration, audit. */
  viewer: "viewer",
  /** Also changes things: drain, replay, configuration; every change is audited under the key's name. */
  operator: "operator",
} as const;
/** One of {@link Role}'s values. */
export type Role = (typeof Role)[keyof typeof Role];

/** The roles, lowest first. */
export const ROLES: readonly Role[] = [Role.viewer, Role.operator];

/** The AdminService methods that change something: they need the operator role and are audited. */
export const MUTATIONS: ReadonlySet<string> = new Set([
  "DrainInstance",
  "ReplayDeadLetters",
  "SetConnectorConfig",
  "RollbackConnectorConfig",
]);

/** The caller of a request, set by the request gate before the handler runs. */
export const CALLER = createContextKey<ApiKey<Role> | undefined>(undefined, { description: "admin caller" });

/** The caller's name, for the audit log. */
export function callerName(values: ContextValues): string {
  return values.get(CALLER)?.name ?? "unknown";
}

/**
 * The admin's keys: `access.apiKeys` (`name:secret:viewer|operator`), plus the service's own
 * operator token as an operator key named `operator`, so one token drains through the admin and
 * through every service's own Lifecycle Drain.
 */
export function adminKeys(apiKeys: readonly string[], operatorToken: string | undefined): ApiKeys<Role> {
  const keys = parseApiKeys(apiKeys, ROLES);
  if (operatorToken === undefined || operatorToken === "") return keys;
  const byDigest = new Map(keys.byDigest);
  byDigest.set(secretDigest(operatorToken), { name: "operator", role: Role.operator });
  return { byDigest, issues: keys.issues };
}
