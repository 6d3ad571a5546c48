import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent, quoteString } from "@langtian/lake";
import type { PartitionLease } from "../lake/partition-ledger.ts";
import { STATE_SCHEMA } from "../lake/partition-ledger.ts";
import { dataTable, type SqlColumn, type TableManager } from "../tables/table-manager.ts";

/**
 * An event-time tumbling window aggregate over one event table. Rows wait in a state table
 * of the lake until the partition's watermark (its latest event_timestamp) passes
 * `window end + allowedLatenessMs`; then the window's aggregate row is written and its
 * state deleted — in the same transaction as the batch and its offsets, so state, output
 * and positions always agree (exactly once across crashes and rebalances).
 */
export interface WindowSpec {
  /** Lake table of the aggregates: window_start, window_end, the groupBy columns, the aggregates. */
  output: string;
  /** Event table whose rows are aggregated, e.g. `device_telemetry_v1`. */
  input: string;
  windowMs: number;
  /** How long after a window's end its events are still accepted. */
  allowedLatenessMs: number;
  /** Columns of the input that key a window besides its start, e.g. `[device_id]`. */
  groupBy: readonly string[];
  /** SQL select list of aggregates over the input's columns, e.g. `count(*) AS events`. */
  aggregates: string;
}

/** A window ready for one batch: its state and output tables exist. */
export interface PreparedWindow {
  spec: WindowSpec;
  /** Temp table holding this batch's input rows. */
  stage: string;
  /** Column list of the stage (what the state tables hold besides window_start). */
  columns: readonly SqlColumn[];
}

/** Start of the tumbling window an event falls in (UTC, aligned on the epoch). */
function bucket(windowMs: number): string {
  const ms = Math.trunc(windowMs);
  return `to_timestamp(((epoch_ms(event_timestamp) // ${ms}) * ${ms}) / 1000)`;
}

/** Microseconds after which a window (by its start column) is closed. */
function closesAtMicros(spec: WindowSpec, startColumn: string): string {
  return `epoch_us(${startColumn}) + ${Math.trunc(spec.windowMs + spec.allowedLatenessMs)} * 1000`;
}

/** State table name of a window for one source partition (per partition: writers never conflict). */
export function windowStateName(spec: WindowSpec, lease: PartitionLease): string {
  const hash = createHash("sha256")
    .update(`${lease.key.source}\u0000${lease.key.partition}`)
    .digest("hex")
    .slice(0, 8);
  return `win_${spec.output}_${hash}`;
}

function selectAggregates(spec: WindowSpec, from: string, startColumn: string): string {
  const start = startColumn;
  const keys = spec.groupBy.map(quoteIdent);
  return (
    `SELECT ${start} AS window_start, ${start} + to_milliseconds(${Math.trunc(spec.windowMs)}) AS window_end` +
    `${keys.map((k) => `, ${k}`).join("")}, ${spec.aggregates} FROM ${from}`
  );
}

/**
 * Before the transaction: creates (or widens) each window's state tables for the batch's
 * partitions and its output table, whose columns come from the query's own result types.
 */
export async function prepareWindows(
  connection: DuckDBConnection,
  tables: TableManager,
  windows: readonly WindowSpec[],
  staged: readonly { stage: string; spec: { name: string; columns: readonly SqlColumn[] } }[],
  leases: readonly PartitionLease[],
): Promise<PreparedWindow[]> {
  const prepared: PreparedWindow[] = [];
  for (const spec of windows) {
    const input = staged.find((s) => s.spec.name === spec.input);
    if (!input) continue;
    const described = await connection.runAndReadAll(`DESCRIBE temp.main.${input.stage}`);
    const columns = described.getRows().map((r) => ({ name: String(r[0]), type: String(r[1]) }));
    for (const lease of leases) {
      const name = windowStateName(spec, lease);
      await tables.ensure({
        name,
        schema: STATE_SCHEMA,
        columns: [...columns, { name: "window_start", type: "TIMESTAMPTZ" }],
      });
    }
    const probe = `${selectAggregates(spec, `(SELECT *, ${bucket(spec.windowMs)} AS window_start FROM temp.main.${input.stage})`, "window_start")} GROUP BY ALL LIMIT 0`;
    await connection.run(`CREATE OR REPLACE TEMP TABLE window_probe AS ${probe}`);
    const out = await connection.runAndReadAll("DESCRIBE temp.main.window_probe");
    await tables.ensure({
      name: spec.output,
      columns: out.getRows().map((r) => ({ name: String(r[0]), type: String(r[1]) })),
    });
    prepared.push({ spec, stage: input.stage, columns });
  }
  return prepared;
}

/**
 * Inside the transaction, for each partition of the batch: adds its rows to the window
 * state (events of windows already closed by the stored watermark are late and left out),
 * moves the watermark to the partition's latest event_timestamp, writes the windows it
 * closes and deletes their state. Returns the new watermark per ledger table and the
 * number of late events.
 */
export async function applyWindows(
  connection: DuckDBConnection,
  prepared: readonly PreparedWindow[],
  leases: readonly { lease: PartitionLease; watermark: bigint | null }[],
): Promise<{ watermarks: Map<string, bigint>; lateEvents: number }> {
  const watermarks = new Map<string, bigint>();
  let lateEvents = 0;
  for (const { lease, watermark } of leases) {
    const mine = `_source = ${quoteString(lease.key.source)} AND _partition = ${quoteString(lease.key.partition)}`;
    let next = watermark;
    for (const { spec, stage, columns } of prepared) {
      const state = dataTable(windowStateName(spec, lease), STATE_SCHEMA);
      const names = columns.map((c) => quoteIdent(c.name)).join(", ");
      const start = bucket(spec.windowMs);
      const onTime = watermark === null ? "TRUE" : `${closesAtMicros(spec, start)} > ${watermark}`;
      const inserted = await connection.run(
        `INSERT INTO ${state} (${names}, window_start) SELECT ${names}, ${start} FROM temp.main.${stage} WHERE ${mine} AND ${onTime}`,
      );
      const total = await connection.runAndReadAll(
        `SELECT count(*), max(epoch_us(event_timestamp)) FROM temp.main.${stage} WHERE ${mine}`,
      );
      const [count, latest] = total.getRows()[0] ?? [0n, null];
      lateEvents += Number(count) - inserted.rowsChanged;
      if (latest !== null && latest !== undefined && (next === null || (latest as bigint) > next))
        next = latest as bigint;
      if (next === null) continue;
      const closed = `${closesAtMicros(spec, "window_start")} <= ${next}`;
      await connection.run(
        `INSERT INTO ${dataTable(spec.output)} ${selectAggregates(spec, state, "window_start")} WHERE ${closed} GROUP BY ALL`,
      );
      await connection.run(`DELETE FROM ${state} WHERE ${closed}`);
    }
    if (next !== null) watermarks.set(lease.table, next);
  }
  return { watermarks, lateEvents };
}
