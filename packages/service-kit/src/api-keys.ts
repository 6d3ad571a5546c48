import { createHash } from "node:crypto";
import type { ConfigIssue } from "./errors.ts";

/** One caller's key. The secret itself is not kept, only its SHA-256. */
export interface ApiKey<R extends string = string> {
  /** Name used in logs, metrics and the audit (never the secret). */
  readonly name: string;
  readonly role: R;
}

/** The parsed keys: by the hex SHA-256 of their secret. */
export interface ApiKeys<R extends string = string> {
  readonly byDigest: ReadonlyMap<string, ApiKey<R>>;
  /** Problems found, as configuration issues of the keys' setting. */
  readonly issues: ConfigIssue[];
}

/** Shortest secret accepted. */
export const MIN_SECRET_LENGTH = 16;

const NAME = /^[a-z0-9][a-z0-9_.-]*$/;

/** SHA-256 of a presented secret, hex: what {@link ApiKeys.byDigest} is keyed by. */
export function secretDigest(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * Parses API key entries `name:secret:role`, `role` one of `roles` (the service's own, e.g.
 * reader/operator or viewer/operator). Every problem is reported under `path` (the setting,
 * e.g. `access.apiKeys`), never the secret itself: a name that is not lower-case, a short
 * secret, an unknown role, a name or a secret used twice.
 */
export function parseApiKeys<const R extends string>(
  entries: readonly string[],
  roles: readonly R[],
  path = "access.apiKeys",
): ApiKeys<R> {
  const byDigest = new Map<string, ApiKey<R>>();
  const names = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const [i, entry] of entries.entries()) {
    const at = `${path}[${i}]`;
    const problem = (expected: string, got: string) =>
      issues.push({ path: at, source: "config", expected, got });
    const parts = entry.split(":");
    if (parts.length !== 3) {
      problem('"name:secret:role"', `${parts.length} part(s) separated by ":"`);
      continue;
    }
    const [name = "", secret = "", role = ""] = parts;
    if (!NAME.test(name)) problem("a lower-case key name ([a-z0-9_.-])", JSON.stringify(name));
    if (secret.length < MIN_SECRET_LENGTH)
      problem(`a secret of at least ${MIN_SECRET_LENGTH} characters`, `${secret.length} characters`);
    if (!(roles as readonly string[]).includes(role))
      problem(`a role: ${roles.join(" or ")}`, JSON.stringify(role));
    if (names.has(name)) problem("a unique key name", `"${name}" again`);
    names.add(name);
    const digest = secretDigest(secret);
    if (byDigest.has(digest))
      problem("a unique secret", `the secret of "${byDigest.get(digest)?.name}" again`);
    byDigest.set(digest, { name, role: role as R });
  }
  return { byDigest, issues };
}
