import { ErrorCode, LangtianError } from "@langtian/errors";
import { parse } from "yaml";
import type { WindowSpec } from "./windows.ts";

/** One SQL transform: rows of an event table's batch in, rows of another lake table out. */
export interface Transform {
  /** Lake table the results go to (created from the query's columns, new columns added). */
  output: string;
  /** Event table whose batch rows the query reads as `batch`, e.g. `device_telemetry_v1`. */
  input: string;
  /** `SELECT … FROM batch …` (DuckDB SQL). */
  sql: string;
}

/** What a pipeline file declares. */
export interface Pipeline {
  transforms: Transform[];
  windows: WindowSpec[];
}

/** Thrown when a pipeline file is invalid; lists every problem. */
export class PipelineError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override name = "PipelineError";
}

const identifier = /^[a-z_][a-z0-9_]*$/;

/**
 * Parses a pipeline YAML file in the spirit of sql-flow:
 *
 * ```yaml
 * transforms:
 *   - output: device_readings
 *     input: device_telemetry_v1
 *     sql: |
 *       SELECT event_id, device_id, event_timestamp, r.metric, r.doubleValue AS value, r.unit
 *       FROM batch, unnest(from_json(readings,
 *         '[{"metric":"VARCHAR","doubleValue":"DOUBLE","unit":"VARCHAR"}]')) AS t(r)
 * ```
 *
 * Each transform runs over every batch, and its rows are committed in the same DuckLake
 * transaction as the batch's event rows and offsets (exactly once, like them).
 */
export function parsePipeline(text: string): Pipeline {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new PipelineError(`pipeline is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const root = (doc ?? {}) as { transforms?: unknown; windows?: unknown };
  const transformList = root.transforms ?? [];
  const windowList = root.windows ?? [];
  if (
    !Array.isArray(transformList) ||
    !Array.isArray(windowList) ||
    transformList.length + windowList.length === 0
  ) {
    throw new PipelineError("pipeline needs a `transforms` and/or a `windows` list");
  }
  const problems: string[] = [];
  const names = (t: Record<string, unknown>, path: string) => {
    for (const key of ["output", "input"] as const) {
      if (typeof t[key] !== "string" || !identifier.test(t[key] as string)) {
        problems.push(`${path}.${key} must be a lower-case table name, got ${JSON.stringify(t[key])}`);
      }
    }
  };
  const transforms: Transform[] = transformList.map((item: unknown, i) => {
    const t = (item ?? {}) as Record<string, unknown>;
    names(t, `transforms[${i}]`);
    if (typeof t.sql !== "string" || !/\bbatch\b/i.test(t.sql)) {
      problems.push(`transforms[${i}].sql must be a query reading FROM batch`);
    }
    return { output: String(t.output), input: String(t.input), sql: String(t.sql) };
  });
  const windows: WindowSpec[] = windowList.map((item: unknown, i) => {
    const w = (item ?? {}) as Record<string, unknown>;
    const path = `windows[${i}]`;
    names(w, path);
    const windowMs = Number(w.windowMs);
    const allowedLatenessMs = Number(w.allowedLatenessMs ?? 0);
    if (!Number.isInteger(windowMs) || windowMs < 1)
      problems.push(`${path}.windowMs must be a positive integer`);
    if (!Number.isInteger(allowedLatenessMs) || allowedLatenessMs < 0) {
      problems.push(`${path}.allowedLatenessMs must be an integer ≥ 0`);
    }
    const groupBy = w.groupBy ?? [];
    if (!Array.isArray(groupBy) || !groupBy.every((g) => typeof g === "string" && identifier.test(g))) {
      problems.push(`${path}.groupBy must be a list of column names`);
    }
    if (typeof w.aggregates !== "string" || w.aggregates.trim() === "") {
      problems.push(`${path}.aggregates must be a SQL select list, e.g. "count(*) AS events"`);
    }
    return {
      output: String(w.output),
      input: String(w.input),
      windowMs,
      allowedLatenessMs,
      groupBy: Array.isArray(groupBy) ? groupBy.map(String) : [],
      aggregates: String(w.aggregates),
    };
  });
  if (problems.length > 0) throw new PipelineError(`invalid pipeline:\n  - ${problems.join("\n  - ")}`);
  return { transforms, windows };
}
