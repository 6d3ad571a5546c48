/**
 * The configuration fields every service shares (listen address, logging, operator token,
 * readiness grace, drain and shutdown deadlines). Services spread them into their own schema.
 */
import type { InferConfig } from "./config-schema.ts";
import { integer, oneOf, string, stringList } from "./config-schema.ts";

/** pino log levels accepted by `logLevel`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * The shared service fields, with the service's own default port.
 *
 * ```ts
 * export const configSchema = defineConfigSchema("bridge", {
 *   ...serviceFields({ port: 4102 }),
 *   nats: { url: string({ url: true, default: "nats://127.0.0.1:4222" }) },
 * });
 * ```
 */
export function serviceFields(defaults: { port: number; host?: string }) {
  return {
    host: string({
      default: defaults.host ?? "127.0.0.1",
      description: "Address the RPC/HTTP port binds to.",
    }),
    port: integer({
      default: defaults.port,
      min: 0,
      max: 65535,
      description: "TCP port; 0 picks a free one.",
    }),
    logLevel: oneOf(LOG_LEVELS, { default: "info", description: "Minimum pino log level." }),
    instanceId: string({
      optional: true,
      description: "Unique id of this instance; a random UUID when unset.",
    }),
    operatorToken: string({
      optional: true,
      secret: true,
      minLength: 16,
      description: "Bearer token for mutating RPCs and admin routes; unset disables them.",
    }),
    drainDeadlineMs: integer({
      default: 25_000,
      min: 0,
      description: "How long a drain waits for in-flight work before giving up, in ms.",
    }),
    readinessGraceMs: integer({
      default: 3_000,
      min: 0,
      description:
        "How long a required dependency may be unreachable before /readyz answers 503 (a blip does not take the instance out of service), in ms.",
    }),
    shutdownDeadlineMs: integer({
      default: 30_000,
      min: 0,
      description: "How long a signal-triggered shutdown may take before the process exits non-zero, in ms.",
    }),
  };
}

/** The loaded shape of `serviceFields`: what `createServiceApp` needs from a service's config. */
export type ServiceConfig = InferConfig<ReturnType<typeof serviceFields>>;

/**
 * The `access` section of a service with API keys (the kit's API key guard): the keys, with the
 * service's own description of their roles, and the per-key rate limit.
 */
export function accessFields(apiKeysDescription: string) {
  return {
    apiKeys: stringList({ default: [], secret: true, description: apiKeysDescription }),
    requestsPerSecond: integer({
      default: 50,
      min: 0,
      description: "Calls per second per key (0 = no limit).",
    }),
    burst: integer({
      default: 100,
      min: 1,
      description: "Calls a key may make at once before the rate applies.",
    }),
  };
}
