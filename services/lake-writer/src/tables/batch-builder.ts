import { ENVELOPE_COLUMNS } from "@langtian/contracts";
import type { TableRows } from "../lake/batch-writer.ts";
import type { CellValue, ColumnSpec } from "../lake/columns.ts";
import { DEAD_LETTER_TABLE, type RoutedRecord } from "./event-tables.ts";
import type { TableSpec } from "./table-manager.ts";

/** Collects routed records of one batch, grouped by table. */
export interface BatchBuilder {
  add(record: RoutedRecord): void;
  /** Rows written so far (data rows plus dead letters). */
  readonly rows: number;
  readonly deadLetters: number;
  /** Records left out because an earlier record of the batch had the same event id. */
  readonly duplicates: number;
  /** Rows per table, the dead-letter table included; columns merged when specs differ. */
  build(): TableRows[];
}

/** Index of `event_timestamp` in an event row (see ENVELOPE_COLUMNS). */
const EVENT_TIMESTAMP_CELL = ENVELOPE_COLUMNS.findIndex((c) => c.name === "event_timestamp");

/** Options of {@link createBatchBuilder}. */
export interface BatchBuilderOptions {
  /**
   * Keep only the first record of each (table, source system, event id, event time): later
   * ones are copies. Default false.
   */
  dedupe?: boolean;
}

/** A routed event row (not a dead letter). */
type RoutedRow = Extract<RoutedRecord, { kind: "row" }>;

/**
 * A copy shares its original's table, source and event time besides the id; an id reused
 * with another event time (a device sequence reset) or by another source is another event.
 */
function isCopy(first: RoutedRow, next: RoutedRow): boolean {
  return (
    first.spec.name === next.spec.name &&
    first.envelope.sourceSystem === next.envelope.sourceSystem &&
    first.row[EVENT_TIMESTAMP_CELL] === next.row[EVENT_TIMESTAMP_CELL]
  );
}

/** Builds an empty {@link BatchBuilder}. */
export function createBatchBuilder(options: BatchBuilderOptions = {}): BatchBuilder {
  const byTable = new Map<string, { spec: TableSpec; row: CellValue[] }[]>();
  const deadRows: CellValue[][] = [];
  /** First record of each event id in the batch (keyed by the id string the record already has). */
  const seen = options.dedupe ? new Map<string, RoutedRow>() : undefined;
  let rows = 0;
  let duplicates = 0;
  return {
    add(record) {
      rows++;
      if (record.kind === "dead") {
        deadRows.push(record.row);
        return;
      }
      if (seen) {
        const first = seen.get(record.envelope.eventId);
        if (first === undefined) seen.set(record.envelope.eventId, record);
        else if (isCopy(first, record)) {
          duplicates++;
          return;
        }
      }
      let list = byTable.get(record.spec.name);
      if (!list) {
        list = [];
        byTable.set(record.spec.name, list);
      }
      list.push({ spec: record.spec, row: record.row });
    },
    get rows() {
      return rows;
    },
    get deadLetters() {
      return deadRows.length;
    },
    get duplicates() {
      return duplicates;
    },
    build() {
      const out: TableRows[] = [];
      for (const list of byTable.values()) out.push(mergeRows(list));
      if (deadRows.length > 0) out.push({ spec: DEAD_LETTER_TABLE, rows: deadRows });
      return out;
    },
  };
}

/** Aligns rows of one table written with different specs (e.g. raw and typed payloads). */
function mergeRows(list: { spec: TableSpec; row: CellValue[] }[]): TableRows {
  const first = list[0];
  if (!first) throw new Error("mergeRows needs at least one row");
  if (list.every((r) => r.spec === first.spec)) return { spec: first.spec, rows: list.map((r) => r.row) };
  const columns: ColumnSpec[] = [];
  const index = new Map<string, number>();
  for (const { spec } of list) {
    for (const column of spec.columns) {
      if (index.has(column.name)) continue;
      index.set(column.name, columns.length);
      columns.push(column);
    }
  }
  const rows = list.map(({ spec, row }) => {
    const aligned: CellValue[] = new Array(columns.length).fill(null);
    spec.columns.forEach((column, i) => {
      aligned[index.get(column.name) as number] = row[i] ?? null;
    });
    return aligned;
  });
  return { spec: { ...first.spec, columns }, rows };
}
