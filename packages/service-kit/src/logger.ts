/**
 * The service logger: pino with the service name, instance id and version on every line,
 * and secret config paths redacted.
 */
import type { DestinationStream, Logger } from "pino";
import { pino } from "pino";

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Service name, e.g. `bridge`. */
  readonly service: string;
  /** Unique id of this instance. */
  readonly instanceId: string;
  /** Service version. */
  readonly version: string;
  /** Minimum level (default `info`). */
  readonly level?: string;
  /**
   * Dotted config paths of secret fields (see `secretPaths`). They are redacted wherever a
   * log line carries them at the top level, under `config`, or one level down.
   */
  readonly secretPaths?: readonly string[];
  /** Where lines go (default stdout). Tests pass a stream to read lines back. */
  readonly destination?: DestinationStream;
}

/** The text that replaces a redacted value. */
export const REDACTED_TEXT = "[redacted]";

/** Creates the service's root pino logger. Child loggers (`logger.child({ stage })`) inherit the bindings. */
export function createLogger(options: LoggerOptions): Logger {
  const paths = new Set<string>(["req.headers.authorization", "headers.authorization", "authorization"]);
  for (const p of options.secretPaths ?? []) {
    const bracketed = p
      .split(".")
      .map((s) => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : `["${s}"]`))
      .join(".")
      .replace(/\.\[/g, "[");
    paths.add(bracketed);
    paths.add(`config.${bracketed}`);
    paths.add(`*.${bracketed}`);
  }
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service, instanceId: options.instanceId, version: options.version },
      redact: { paths: [...paths], censor: REDACTED_TEXT },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
