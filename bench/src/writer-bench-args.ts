import type { ParseArgsOptionsConfig } from "node:util";

/**
 * The flags the lake-commit benchmarks share (lake-commits, iceberg): `--quick` (a short smoke
 * run of the harness), `--seconds` per measurement, `--writers` (comma-separated counts of
 * concurrent writers) and `--rows` per commit. Spread into `parseArgs`'s options beside a
 * benchmark's own.
 */
export const writerBenchOptions = {
  quick: { type: "boolean", default: false },
  seconds: { type: "string" },
  writers: { type: "string" },
  rows: { type: "string", default: "500" },
} as const satisfies ParseArgsOptionsConfig;

/** What {@link writerBenchOptions} parse to. */
export interface WriterBenchArgs {
  readonly quick?: boolean;
  readonly seconds?: string;
  readonly writers?: string;
  readonly rows?: string;
}

/** The run a benchmark makes of its shared flags. */
export interface WriterBenchSettings {
  /** Seconds per measurement: `--seconds`, else 3 with `--quick` and 20 without. */
  readonly seconds: number;
  /** The writer counts to measure, in order. */
  readonly writerCounts: number[];
  readonly rowsPerCommit: number;
}

/**
 * Reads the shared flags; `writers` gives the benchmark's default writer counts with and
 * without `--quick` (comma-separated, as on the command line).
 */
export function writerBenchSettings(
  args: WriterBenchArgs,
  writers: { readonly quick: string; readonly full: string },
): WriterBenchSettings {
  return {
    seconds: Number(args.seconds ?? (args.quick ? 3 : 20)),
    writerCounts: (args.writers ?? (args.quick ? writers.quick : writers.full)).split(",").map(Number),
    rowsPerCommit: Number(args.rows ?? "500"),
  };
}
