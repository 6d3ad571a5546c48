import { randomUUID } from "node:crypto";
import { type FileHandle, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type DuckDBConnection, type DuckDBType, DuckDBTypeId } from "@duckdb/node-api";
import { quoteIdent, quoteString } from "@langtian/lake";
import { MAX_CHUNK_BYTES } from "./chunk-sink.ts";
import type { ExportQuery } from "./export-query.ts";

/** The formats DuckDB writes itself. */
export const FileFormat = {
  csv: "csv",
  ndjson: "ndjson",
  parquet: "parquet",
} as const;
/** One of {@link FileFormat}. */
export type FileFormat = (typeof FileFormat)[keyof typeof FileFormat];

const COPY_OPTIONS: Record<FileFormat, string> = {
  // RFC 4180: a header line, CRLF line ends, fields quoted only when they must be, `""` inside.
  csv: "FORMAT csv, HEADER true, NEW_LINE '\\r\\n'",
  ndjson: "FORMAT json",
  parquet: "FORMAT parquet",
};

/** How long the reader waits for DuckDB to append more before it looks again. */
const POLL_MS = 5;

/**
 * Exports with DuckDB's own writers: `COPY (<query>) TO '<tempDir>/export-<uuid>.<ext>'`, the
 * parameters bound to the prepared COPY (never spliced in), while the file is read from the
 * start as DuckDB appends to it and handed to `write` chunk by chunk. DuckDB's writers only
 * append (CSV, JSON and Parquet, whose footer comes last), so every byte read is final. The
 * file is removed at the end, on error and on cancel (the runner interrupts the COPY).
 * Returns the rows DuckDB wrote.
 */
export async function exportWithCopy(
  c: DuckDBConnection,
  query: ExportQuery,
  format: FileFormat,
  write: (bytes: Uint8Array) => Promise<void>,
  signal: AbortSignal,
): Promise<bigint> {
  const tempDir = String(
    (await c.runAndReadAll("SELECT current_setting('temp_directory')")).getRows()[0]?.[0],
  );
  const path = join(tempDir, `export-${randomUUID()}.${format === FileFormat.ndjson ? "ndjson" : format}`);
  const source = format === FileFormat.parquet ? query.sql : textProjection(query, format);
  const prepared = await c.prepare(
    `COPY (\n${source}\n) TO ${quoteString(path)} (${COPY_OPTIONS[format]}, USE_TMP_FILE false)`,
  );
  let file: FileHandle | undefined;
  let outcome: { rows: bigint } | { err: unknown } | undefined;
  let copy: Promise<void> | undefined;
  try {
    if (Object.keys(query.params).length > 0) prepared.bind(query.params);
    copy = prepared.runAndReadAll().then(
      (reader) => {
        outcome = { rows: BigInt(reader.getRows()[0]?.[0] as bigint | number) };
      },
      (err: unknown) => {
        outcome = { err };
      },
    );
    let position = 0;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      // Read the outcome before reading the file: once COPY ended, a read that finds nothing
      // new means the whole file was sent.
      const ended = outcome;
      if (ended !== undefined && "err" in ended) throw ended.err;
      file ??= await openIfExists(path);
      if (file === undefined) {
        if (ended !== undefined) throw new Error(`DuckDB wrote no file at ${path}`);
        await Promise.race([copy, sleep(POLL_MS)]);
        continue;
      }
      const buffer = Buffer.allocUnsafe(MAX_CHUNK_BYTES);
      const { bytesRead } = await file.read(buffer, 0, MAX_CHUNK_BYTES, position);
      if (bytesRead > 0) {
        position += bytesRead;
        await write(buffer.subarray(0, bytesRead));
        continue;
      }
      if (ended !== undefined) return ended.rows;
      await Promise.race([copy, sleep(POLL_MS)]);
    }
  } finally {
    if (copy !== undefined && outcome === undefined) {
      // The client went away (or the limit passed) mid-file: stop DuckDB before the file goes.
      c.interrupt();
      await copy;
    }
    prepared.destroySync();
    await file?.close();
    // On error and cancel too; the interrupted COPY may still hold it open for a moment.
    await rm(path, { force: true });
  }
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * The projection CSV and NDJSON are written from: timestamps as RFC 3339 UTC with
 * microseconds (`2026-11-27T12:00:00.001000Z`), BLOBs base64; in CSV also nested values
 * (lists, structs, maps, arrays, unions) as JSON text. NDJSON keeps them nested.
 */
export function textProjection(query: ExportQuery, format: FileFormat): string {
  const exprs = query.columnNames.map((name, i) => {
    const column = `q.${quoteIdent(name)}`;
    const expr = textExpression(column, query.columnTypes[i], format);
    return expr === column ? column : `${expr} AS ${quoteIdent(name)}`;
  });
  return `SELECT ${exprs.join(", ")} FROM (\n${query.sql}\n) AS q`;
}

function textExpression(column: string, type: DuckDBType | undefined, format: FileFormat): string {
  switch (type?.typeId) {
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      // The session's time zone is UTC (the confined lake sets it), so this is UTC.
      return `strftime(${column}::TIMESTAMPTZ, '%Y-%m-%dT%H:%M:%S.%fZ')`;
    case DuckDBTypeId.BLOB:
      return `to_base64(${column})`;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.UNION:
      return format === FileFormat.csv ? `to_json(${column})::VARCHAR` : column;
    default:
      return column;
  }
}
