/**
 * Who may push events: the API keys of the pushing systems (each bound to the `source_system`
 * values it may push under) and whether pushes without a key are accepted at all, checked
 * once at startup from the configuration.
 *
 * The rule: configured keys are always required. Without keys, pushes are open only when the
 * port listens on loopback, or when `ingest.allowUnauthenticated` says so explicitly;
 * otherwise the collector refuses to start.
 */
import {
  ConfigError,
  type ConfigIssue,
  isLoopbackHost,
  MIN_SECRET_LENGTH,
  secretDigest,
} from "@langtian/service-kit";
import type { CollectorConfig } from "./config.ts";

/** Source systems a key may use: a set, or any. */
export type AllowedSources = ReadonlySet<string> | "any";

/** One pushing system's key. The secret itself is not kept, only its SHA-256. */
export interface IngestKey {
  /** Name used in logs and metrics (never the secret). */
  readonly name: string;
  /** SHA-256 of the secret, hex. */
  readonly digest: string;
  readonly sources: AllowedSources;
}

/** The push access policy. */
export interface IngestAccess {
  /** Keys by the hex SHA-256 of their secret. Empty = pushes need no key. */
  readonly keys: ReadonlyMap<string, IngestKey>;
  /** True when every push must present a key. */
  readonly required: boolean;
}

const NAME = /^[a-z0-9][a-z0-9_.-]*$/;

/**
 * Builds the policy from the configuration, or throws a ConfigError listing every problem
 * (malformed or duplicate keys, no keys on a non-loopback address, limits that cannot work).
 * Problems never quote a secret.
 */
export function parseIngestAccess(config: CollectorConfig): IngestAccess {
  const issues: ConfigIssue[] = [];
  const problem = (path: string, expected: string, got: string) =>
    issues.push({ path, source: "config", expected, got });
  const keys = new Map<string, IngestKey>();
  const names = new Set<string>();
  for (const [i, entry] of config.ingest.apiKeys.entries()) {
    const path = `ingest.apiKeys[${i}]`;
    const first = entry.indexOf(":");
    const last = entry.lastIndexOf(":");
    if (first < 0 || last === first) {
      problem(path, "NAME:SECRET:SOURCE[|SOURCE...]", "[redacted] (not three ':'-separated parts)");
      continue;
    }
    const name = entry.slice(0, first);
    const secret = entry.slice(first + 1, last);
    const sourceList = entry
      .slice(last + 1)
      .split("|")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (!NAME.test(name)) problem(path, "a key name of a-z, 0-9, '_', '.', '-'", JSON.stringify(name));
    if (names.has(name)) problem(path, `a unique key name (duplicate "${name}")`, JSON.stringify(name));
    if (secret.length < MIN_SECRET_LENGTH)
      problem(path, `a secret of at least ${MIN_SECRET_LENGTH} characters`, `[redacted] of key "${name}"`);
    if (sourceList.length === 0)
      problem(path, "at least one source_system (or *) after the secret", `key "${name}" with none`);
    const digest = secretDigest(secret);
    if (keys.has(digest)) problem(path, "a secret no other key uses", `[redacted] of key "${name}"`);
    names.add(name);
    keys.set(digest, { name, digest, sources: sourceList.includes("*") ? "any" : new Set(sourceList) });
  }
  const loopback = isLoopbackHost(config.host);
  if (keys.size > 0 && config.ingest.allowUnauthenticated) {
    problem(
      "ingest.allowUnauthenticated",
      "false while ingest.apiKeys are configured (configured keys are always required)",
      "true",
    );
  }
  if (keys.size === 0 && !loopback && !config.ingest.allowUnauthenticated) {
    problem(
      "ingest.apiKeys",
      `at least one key, because the port listens on ${config.host}, beyond loopback (or set ingest.allowUnauthenticated=true to accept pushes from anyone who reaches the port)`,
      "none",
    );
  }
  const { maxBatchEvents, maxEventBytes, maxRequestBytes, rateLimit } = config.ingest;
  if (rateLimit.eventsPerSecond > 0 && rateLimit.burstEvents < maxBatchEvents) {
    problem(
      "ingest.rateLimit.burstEvents",
      `at least ingest.maxBatchEvents (${maxBatchEvents}), or a full batch could never pass`,
      String(rateLimit.burstEvents),
    );
  }
  // One largest event must fit, also as JSON (its payload in base64) with its other fields.
  const oneEventAsJson = Math.ceil((maxEventBytes * 4) / 3) + 64 * 1024;
  if (maxRequestBytes < oneEventAsJson) {
    problem(
      "ingest.maxRequestBytes",
      `at least ${oneEventAsJson} (one ingest.maxEventBytes event as JSON)`,
      String(maxRequestBytes),
    );
  }
  if (issues.length > 0) throw new ConfigError("collector", issues);
  return { keys, required: keys.size > 0 };
}
