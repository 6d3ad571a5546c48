import { create } from "@bufbuild/protobuf";
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { type SqlRequest, type SqlResponse, SqlResponseSchema } from "@langtian/proto";
import { BadRequestError } from "../lake/lake-catalog.ts";
import { columnsOf, parameterOf, rowsOf } from "../sql/cells.ts";
import type { QueryRunner } from "../sql/query-runner.ts";
import { createResultChannel } from "../sql/result-channel.ts";
import { checkReadOnlyStatement } from "../sql/statement-guard.ts";

/** Limits the Sql RPC applies. */
export interface SqlLimits {
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly maxRows: number;
}

/** Default rows of one Sql call when the request names none. */
const DEFAULT_MAX_ROWS = 10_000;

/**
 * `Sql`: checks the statement (one read-only SELECT of the lake), binds its named parameters
 * and streams the result chunk by chunk (a header, row batches, a summary), at most
 * `max_rows` rows. The statement is interrupted when the client goes away or the limit passes.
 */
export function runSql(
  runner: QueryRunner,
  limits: SqlLimits,
  request: SqlRequest,
  signal: AbortSignal,
): AsyncIterable<SqlResponse> {
  const maxRows = rowLimit(request.maxRows, limits.maxRows);
  const timeoutMs = timeLimit(request.timeoutMs, limits);
  const channel = createResultChannel<SqlResponse>();
  const started = performance.now();
  runner
    .run(
      async (c, signal) => {
        const result = await streamStatement(c, request);
        await channel.push(
          create(SqlResponseSchema, {
            part: {
              case: "header",
              value: { columns: columnsOf(result.columnNames(), result.columnTypes()) },
            },
          }),
          signal,
        );
        const types = result.columnTypes();
        let rows = 0;
        let truncated = false;
        for (;;) {
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          let batch = chunk.getRows();
          if (rows + batch.length > maxRows) {
            batch = batch.slice(0, maxRows - rows);
            truncated = true;
          }
          rows += batch.length;
          if (batch.length > 0)
            await channel.push(
              create(SqlResponseSchema, { part: { case: "rows", value: { rows: rowsOf(batch, types) } } }),
              signal,
            );
          if (truncated || rows >= maxRows) {
            // Exactly max_rows so far: truncated only if the result had more.
            if (!truncated) truncated = ((await result.fetchChunk())?.rowCount ?? 0) > 0;
            break;
          }
        }
        await channel.push(
          create(SqlResponseSchema, {
            part: {
              case: "summary",
              value: { rows: BigInt(rows), truncated, elapsedMs: performance.now() - started },
            },
          }),
          signal,
        );
      },
      { timeoutMs, signal },
    )
    .then(
      () => channel.end(),
      (err: unknown) => channel.end(err),
    );
  return channel;
}

/** Checks, prepares, binds and starts streaming one statement. */
export async function streamStatement(c: DuckDBConnection, request: SqlRequest) {
  await checkReadOnlyStatement(c, request.sql);
  const prepared = await c.prepare(request.sql);
  const names = new Set<string>();
  for (let i = 1; i <= prepared.parameterCount; i++) names.add(prepared.parameterName(i));
  const missing = [...names].filter((n) => !(n in request.params));
  const unknown = Object.keys(request.params).filter((n) => !names.has(n));
  if (missing.length > 0 || unknown.length > 0) {
    prepared.destroySync();
    throw new BadRequestError(
      [
        missing.length > 0 ? `missing parameter(s) ${missing.map((n) => `$${n}`).join(", ")}` : "",
        unknown.length > 0 ? `unknown parameter(s) ${unknown.join(", ")}` : "",
      ]
        .filter((s) => s !== "")
        .join("; "),
    );
  }
  if (names.size > 0) {
    const values: Record<string, DuckDBValue> = {};
    for (const n of names) values[n] = parameterOf(request.params[n]);
    prepared.bind(values);
  }
  return prepared.stream();
}

function rowLimit(requested: number, max: number): number {
  if (requested === 0) return Math.min(DEFAULT_MAX_ROWS, max);
  if (requested > max) throw new BadRequestError(`max_rows is at most ${max} (asked for ${requested})`);
  return requested;
}

function timeLimit(requested: number, limits: SqlLimits): number {
  if (requested === 0) return limits.defaultTimeoutMs;
  if (requested > limits.maxTimeoutMs)
    throw new BadRequestError(`timeout_ms is at most ${limits.maxTimeoutMs} (asked for ${requested})`);
  return requested;
}
