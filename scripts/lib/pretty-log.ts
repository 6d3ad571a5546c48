/**
 * How `npm run stack` prints its services' output: the services log pino JSON lines (see
 * packages/service-kit/src/logger.ts); on a terminal the stack turns each into one readable
 * line, elsewhere (a pipe, a file, a test) it keeps the JSON for tools to read.
 */

/** The two ways the stack prints a service's log lines. */
export const LogFormat = { json: "json", pretty: "pretty" } as const;
/** One of {@link LogFormat}. */
export type LogFormat = (typeof LogFormat)[keyof typeof LogFormat];

/** What {@link resolveLogOutput} decides from. */
export interface LogOutputInput {
  /** The stack's arguments; `--json-logs` asks for JSON. */
  readonly argv: readonly string[];
  /** `LANGTIAN_STACK_LOG_FORMAT` (`json` or `pretty`) and `NO_COLOR` are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal. */
  readonly isTTY: boolean;
}

/** How the stack prints log lines: the format, and whether pretty lines carry ANSI colours. */
export interface LogOutput {
  readonly format: LogFormat;
  readonly color: boolean;
}

/**
 * The output of this run: JSON when asked (`--json-logs`, `LANGTIAN_STACK_LOG_FORMAT=json`)
 * or when stdout is not a terminal, else pretty; `LANGTIAN_STACK_LOG_FORMAT=pretty` forces
 * pretty anywhere. Colours only on a terminal and without `NO_COLOR`. Throws on an unknown
 * `LANGTIAN_STACK_LOG_FORMAT`, so a typo does not go unnoticed.
 */
export function resolveLogOutput(input: LogOutputInput): LogOutput {
  const asked = input.env.LANGTIAN_STACK_LOG_FORMAT ?? "";
  if (asked !== "" && asked !== LogFormat.json && asked !== LogFormat.pretty) {
    throw new Error(`LANGTIAN_STACK_LOG_FORMAT=${asked}: expected json or pretty`);
  }
  const format: LogFormat = input.argv.includes("--json-logs")
    ? LogFormat.json
    : asked !== ""
      ? asked
      : input.isTTY
        ? LogFormat.pretty
        : LogFormat.json;
  // https://no-color.org: set and not empty.
  const noColor = (input.env.NO_COLOR ?? "") !== "";
  return { format, color: format === LogFormat.pretty && input.isTTY && !noColor };
}

/** Options of {@link formatLogLine}. */
export interface FormatLogLineOptions {
  /** ANSI colours on the level. */
  readonly color: boolean;
}

const ANSI = {
  dim: "\x1b[2m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  reset: "\x1b[0m",
} as const;

/** pino's levels, highest first: a number at or above `min` takes that label. */
const LEVELS = [
  { min: 60, label: "FATAL", color: ANSI.red },
  { min: 50, label: "ERROR", color: ANSI.red },
  { min: 40, label: "WARN", color: ANSI.yellow },
  { min: 30, label: "INFO", color: ANSI.green },
  { min: 20, label: "DEBUG", color: ANSI.dim },
  { min: 0, label: "TRACE", color: ANSI.dim },
] as const;

/**
 * Fields not repeated as `key=value`: those shown in their own place, and the logger's
 * bindings that are the same on every line of a process (the name prefix says which service).
 */
const SHOWN_ELSEWHERE = new Set([
  "level",
  "time",
  "msg",
  "service",
  "instanceId",
  "version",
  "pid",
  "hostname",
]);

/**
 * One line of a service's output as the stack prints it, without the newline. A pino JSON
 * line becomes `[name] HH:MM:SS.mmm LEVEL message key=value ...` (local time; strings quoted
 * only when they hold whitespace or are empty, objects as compact JSON, `err` as its message
 * and the first frame of its stack); any other line is `[name] line`, as the service wrote it.
 */
export function formatLogLine(name: string, line: string, options: FormatLogLineOptions): string {
  const prefix = `[${name}] `;
  const entry = parseLogEntry(line);
  if (!entry) return `${prefix}${line}`;
  const parts: string[] = [];
  const time = formatTime(entry.time);
  if (time) parts.push(time);
  const level = levelOf(entry.level);
  if (level) {
    const label = level.label.padEnd(5);
    parts.push(options.color ? `${level.color}${label}${ANSI.reset}` : label);
  }
  if (typeof entry.msg === "string" && entry.msg !== "") parts.push(oneLine(entry.msg));
  for (const [key, value] of Object.entries(entry)) {
    if (value === undefined || SHOWN_ELSEWHERE.has(key)) continue;
    parts.push(`${key}=${key === "err" ? formatError(value) : formatValue(value)}`);
  }
  // The `service` binding is shown only when it is not the stack's name for the process.
  if (entry.service !== undefined && entry.service !== name) {
    parts.push(`service=${formatValue(entry.service)}`);
  }
  return `${prefix}${parts.join(" ")}`;
}

/** The JSON object of a log line, or undefined for anything that is not a pino line. */
function parseLogEntry(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const entry = parsed as Record<string, unknown>;
  // Other JSON a process prints (e.g. a report) is not a log event: printed as it is.
  return "level" in entry || "msg" in entry ? entry : undefined;
}

/** `HH:MM:SS.mmm` in local time from pino's ISO string or epoch milliseconds. */
function formatTime(time: unknown): string | undefined {
  if (typeof time !== "string" && typeof time !== "number") return undefined;
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return typeof time === "string" ? time : undefined;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

/** The label and colour of pino's numeric level (or of a level already given as a label). */
function levelOf(level: unknown): { label: string; color: string } | undefined {
  if (typeof level === "number") return LEVELS.find((l) => level >= l.min);
  if (typeof level === "string" && level !== "") {
    const label = level.toUpperCase();
    return LEVELS.find((l) => l.label === label) ?? { label, color: "" };
  }
  return undefined;
}

/** A value of `key=value`: bare, quoted when a string holds whitespace (or is empty), objects as JSON. */
function formatValue(value: unknown): string {
  if (typeof value === "string") return value === "" || /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/** pino's serialised error (`{ type, message, stack, ... }`) as its message and first stack frame. */
function formatError(value: unknown): string {
  if (typeof value !== "object" || value === null) return formatValue(value);
  const err = value as { message?: unknown; stack?: unknown };
  const message = typeof err.message === "string" ? err.message : "";
  const frame =
    typeof err.stack === "string"
      ? err.stack
          .split("\n")
          .map((l) => l.trim())
          .find((l) => l.startsWith("at "))
      : undefined;
  if (message === "" && frame === undefined) return JSON.stringify(value);
  return formatValue(frame === undefined ? message : `${message} (${frame})`);
}

/** Keeps an event on one line: a message's line breaks shown as `\n`. */
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, "\\n");
}
