import { create } from "@bufbuild/protobuf";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent } from "@langtian/lake";
import {
  AggregateFunction,
  type AggregateRequest,
  type AggregateResponse,
  AggregateResponseSchema,
  type Measure,
} from "@langtian/proto";
import {
  BadRequestError,
  columnsAt,
  isEventTable,
  requireTable,
  resolveSnapshot,
  tableAt,
} from "../lake/lake-catalog.ts";
import { columnsOf, rowsOf } from "../sql/cells.ts";
import { whereOf } from "./event-filter.ts";

const DEFAULT_LIMIT = 10_000;
const MAX_LIMIT = 100_000;

/**
 * `Aggregate`: measures per time bucket of `event_timestamp` and per dimension, over the events
 * a filter selects. Every column is checked to exist and quoted; the bucket width and
 * quantiles are numbers checked here, so nothing of the request reaches SQL unquoted.
 */
export async function aggregate(c: DuckDBConnection, request: AggregateRequest): Promise<AggregateResponse> {
  const filter = request.filter;
  if (filter === undefined) throw new BadRequestError("give a filter naming the table");
  if (request.measures.length === 0) throw new BadRequestError("give at least one measure");
  const limit = request.limit === 0 ? DEFAULT_LIMIT : request.limit;
  if (limit > MAX_LIMIT) throw new BadRequestError(`limit is at most ${MAX_LIMIT}`);
  const snapshot = await resolveSnapshot(c, request.at);
  await requireTable(c, filter.table, snapshot);
  const columns = await columnsAt(c, filter.table, snapshot);
  if (!isEventTable(columns))
    throw new BadRequestError(`table ${filter.table} is not an event table: use Sql`);
  const known = new Set(columns.map((col) => col.name));
  const column = (name: string) => {
    if (!known.has(name))
      throw new BadRequestError(`table ${filter.table} has no column ${JSON.stringify(name)}`);
    return quoteIdent(name);
  };
  const groups: string[] = [];
  if (request.bucketSeconds > 0)
    groups.push(
      `time_bucket(INTERVAL ${Math.trunc(request.bucketSeconds)} SECOND, event_timestamp) AS bucket`,
    );
  for (const d of request.dimensions) groups.push(column(d));
  const measures = request.measures.map(
    (m, i) => `${measureSql(m, column)} AS ${quoteIdent(measureName(m, i))}`,
  );
  const where = whereOf(filter, columns);
  const groupBy =
    groups.length === 0
      ? ""
      : `GROUP BY ${groups.map((_, i) => i + 1).join(", ")} ORDER BY ${groups.map((_, i) => i + 1).join(", ")}`;
  const reader = await c.runAndReadAll(
    `SELECT ${[...groups, ...measures].join(", ")} FROM ${tableAt(filter.table, snapshot)} WHERE ${where.sql} ${groupBy} LIMIT ${limit + 1}`,
    where.params,
  );
  const rows = reader.getRows();
  return create(AggregateResponseSchema, {
    columns: columnsOf(reader.columnNames(), reader.columnTypes()),
    rows: rowsOf(rows.slice(0, limit), reader.columnTypes()),
    snapshotId: snapshot,
    truncated: rows.length > limit,
  });
}

function measureSql(m: Measure, column: (name: string) => string): string {
  switch (m.function) {
    case AggregateFunction.COUNT:
      return "count(*)";
    case AggregateFunction.MIN:
      return `min(${column(m.column)})`;
    case AggregateFunction.MAX:
      return `max(${column(m.column)})`;
    case AggregateFunction.AVG:
      return `avg(${column(m.column)})`;
    case AggregateFunction.SUM:
      return `sum(${column(m.column)})`;
    case AggregateFunction.QUANTILE:
      if (!(m.quantile >= 0 && m.quantile <= 1))
        throw new BadRequestError("quantile must be between 0 and 1");
      return `quantile_cont(${column(m.column)}, ${m.quantile})`;
    default:
      throw new BadRequestError("every measure needs a function");
  }
}

/** `count`, `avg_temperature`, `p99_temperature`, … */
function measureName(m: Measure, index: number): string {
  switch (m.function) {
    case AggregateFunction.COUNT:
      return "count";
    case AggregateFunction.QUANTILE:
      return `p${Math.round(m.quantile * 1000) / 10}_${m.column}`.replace(".", "_");
    default:
      return `${AggregateFunction[m.function]?.toLowerCase() ?? `m${index}`}_${m.column}`;
  }
}
