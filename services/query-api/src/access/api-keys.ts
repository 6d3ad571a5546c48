import { createHash } from "node:crypto";
import type { ConfigIssue } from "@langtian/service-kit";

/** What a key may do. `operator` includes everything a `reader` may. */
export const Role = {
  /** Reads the lake. */
  reader: "reader",
  /** Reads, and what the query API may one day let operators do (e.g. cancel others' queries). */
  operator: "operator",
} as const;
/** One of {@link Role}'s values. */
export type Role = (typeof Role)[keyof typeof Role];

/** One caller's key. The secret itself is not kept, only its SHA-256. */
export interface ApiKey {
  /** Name used in logs and metrics (never the secret). */
  readonly name: string;
  readonly role: Role;
}

/** The parsed keys: by the hex SHA-256 of their secret. */
export interface ApiKeys {
  readonly byDigest: ReadonlyMap<string, ApiKey>;
  /** Problems found, as configuration issues of `access.apiKeys`. */
  readonly issues: ConfigIssue[];
}

/** Shortest secret accepted. */
export const MIN_SECRET_LENGTH = 16;

const NAME = /^[a-z0-9][a-z0-9_.-]*$/;
const ROLES: readonly string[] = Object.values(Role);

/** SHA-256 of a presented secret, hex: what {@link ApiKeys.byDigest} is keyed by. */
export function secretDigest(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * Parses `access.apiKeys` entries (`name:secret:role`). Every problem is reported, never the
 * secret itself: a name that is not lower-case, a short secret, an unknown role, a name or a
 * secret used twice.
 */
export function parseApiKeys(entries: readonly string[]): ApiKeys {
  const byDigest = new Map<string, ApiKey>();
  const names = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const [i, entry] of entries.entries()) {
    const path = `access.apiKeys[${i}]`;
    const problem = (expected: string, got: string) => issues.push({ path, source: "config", expected, got });
    const parts = entry.split(":");
    if (parts.length !== 3) {
      problem('"name:secret:role"', `${parts.length} part(s) separated by ":"`);
      continue;
    }
    const [name = "", secret = "", role = ""] = parts;
    if (!NAME.test(name)) problem("a lower-case key name ([a-z0-9_.-])", JSON.stringify(name));
    if (secret.length < MIN_SECRET_LENGTH)
      problem(`a secret of at least ${MIN_SECRET_LENGTH} characters`, `${secret.length} characters`);
    if (!ROLES.includes(role)) problem(`a role: ${ROLES.join(" or ")}`, JSON.stringify(role));
    if (names.has(name)) problem("a unique key name", `"${name}" again`);
    names.add(name);
    const digest = secretDigest(secret);
    if (byDigest.has(digest))
      problem("a unique secret", `the secret of "${byDigest.get(digest)?.name}" again`);
    byDigest.set(digest, { name, role: role as Role });
  }
  return { byDigest, issues };
}
