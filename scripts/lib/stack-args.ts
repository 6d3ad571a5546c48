/**
 * The command line of `npm run stack`: which topology, which mode, and the usage text. Pure
 * (argv and env are arguments), so it is tested without starting anything.
 */

/** The shapes `npm run stack` can start. */
export const Topology = {
  /** One nats-server, one Kafka broker, one instance per stage, SQLite catalog on local disk. */
  default: "default",
  /** 3 NATS nodes (R3), 3 Kafka brokers (RF 3, min ISR 2), 2 bridges, 2 lake writers, PostgreSQL + S3. */
  ha: "ha",
  /** JetStream straight into the lake: no Kafka, no bridge. */
  direct: "direct",
} as const;
export type Topology = (typeof Topology)[keyof typeof Topology];

/** What the command line asked for. */
export interface StackArgs {
  readonly topology: Topology;
  /** Check end to end, then stop (`--smoke` or `LANGTIAN_STACK_SMOKE=1`). */
  readonly smoke: boolean;
  /** With `--smoke`: stay up after the check until stdin ends. */
  readonly hold: boolean;
  /** Skip the npm dependency check. */
  readonly noInstall: boolean;
  /** Stack traces on failure (`--verbose` or `LANGTIAN_STACK_DEBUG=1`). */
  readonly verbose: boolean;
  /** Print the usage and exit. */
  readonly help: boolean;
}

/** Every flag the stack takes, with what it does: the usage text and the error for an unknown one. */
export const stackFlags: Readonly<Record<string, string>> = {
  "--ha":
    "high availability: 3 NATS nodes (R3), 3 Kafka brokers (RF 3), 2 bridges, 2 lake writers, PostgreSQL catalog, SeaweedFS S3",
  "--direct": "JetStream straight into the lake: no Kafka, no bridge",
  "--smoke": "start everything, check it end to end, stop (exit 0 when it passed)",
  "--hold": "with --smoke: keep everything running after the check until stdin ends",
  "--no-install": "skip the npm dependency check",
  "--json-logs": "print the services' logs as JSON lines even on a terminal",
  "--verbose": "stack traces on failure (also LANGTIAN_STACK_DEBUG=1)",
  "--help": "print this text",
};

/** A command line the stack does not understand; its message lists the valid flags. */
export class StackUsageError extends Error {
  override name = "StackUsageError";
}

/**
 * Parses the stack's arguments (`process.argv.slice(2)`).
 * @throws StackUsageError for an unknown flag, a stray argument or two topologies at once.
 */
export function parseStackArgs(args: readonly string[], env: NodeJS.ProcessEnv): StackArgs {
  const unknown = args.filter((a) => !(a in stackFlags) && a !== "-h");
  if (unknown.length > 0) {
    throw new StackUsageError(
      `unknown ${unknown.length === 1 ? "argument" : "arguments"} ${unknown.join(" ")}; valid flags: ${Object.keys(stackFlags).join(" ")}`,
    );
  }
  const has = (flag: string) => args.includes(flag);
  if (has("--ha") && has("--direct")) {
    throw new StackUsageError(
      "--ha and --direct are two topologies; choose one (or neither, for the default)",
    );
  }
  const smoke = has("--smoke") || env.LANGTIAN_STACK_SMOKE === "1";
  if (has("--hold") && !smoke) throw new StackUsageError("--hold only applies with --smoke");
  return Object.freeze({
    topology: has("--ha") ? Topology.ha : has("--direct") ? Topology.direct : Topology.default,
    smoke,
    hold: has("--hold"),
    noInstall: has("--no-install"),
    verbose: has("--verbose") || env.LANGTIAN_STACK_DEBUG === "1",
    help: has("--help") || has("-h"),
  });
}

/** The usage text of `npm run stack`. */
export function stackUsage(): string {
  const width = Math.max(...Object.keys(stackFlags).map((f) => f.length));
  return [
    "usage: npm run stack [-- <flags>]",
    "",
    "Starts the whole pipeline on this machine (default: one nats-server, one Kafka broker,",
    "one instance per stage, the lake on local disk), prints where everything runs and stays",
    "in the foreground until Ctrl+C.",
    "",
    ...Object.entries(stackFlags).map(([flag, what]) => `  ${flag.padEnd(width)}  ${what}`),
    "",
    "Environment: LANGTIAN_STACK_DIR (data folder), LANGTIAN_STACK_<NAME>_PORT (a port, e.g.",
    "LANGTIAN_STACK_NATS_PORT, LANGTIAN_STACK_ADMIN_HTTP_PORT), LANGTIAN_STACK_KAFKA_JVM_OPTIONS",
    "(the brokers' JVM flags, space-separated), LANGTIAN_STACK_LOG_FORMAT=json|pretty.",
    "Every other LANGTIAN_<SERVICE>_… variable reaches that service, e.g.",
    "LANGTIAN_COLLECTOR_TRACING_OTLP_ENDPOINT=http://127.0.0.1:4318 (spans over OTLP; the same",
    "for LANGTIAN_BRIDGE_… and LANGTIAN_LAKE_WRITER_…).",
    "",
  ].join("\n");
}
