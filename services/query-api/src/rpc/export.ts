import { create } from "@bufbuild/protobuf";
import { ExportFormat, type ExportRequest, type ExportResponse, ExportResponseSchema } from "@langtian/proto";
import { exportArrow } from "../export/arrow-export.ts";
import { createChunkSink } from "../export/chunk-sink.ts";
import { exportQueryOf } from "../export/export-query.ts";
import { exportWithCopy, FileFormat } from "../export/file-export.ts";
import { BadRequestError } from "../lake/lake-catalog.ts";
import type { QueryMetrics } from "../metrics.ts";
import type { QueryRunner } from "../sql/query-runner.ts";
import { createResultChannel } from "../sql/result-channel.ts";

/** Limits the Export RPC applies. */
export interface ExportLimits {
  /** Time limit of one whole export (statement and streaming), in ms. */
  readonly timeoutMs: number;
}

/** The export time limit when none is configured: `limits.exportTimeoutMs`'s default. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 3_600_000;

const FILE_FORMATS: Partial<Record<ExportFormat, FileFormat>> = {
  [ExportFormat.CSV]: FileFormat.csv,
  [ExportFormat.NDJSON]: FileFormat.ndjson,
  [ExportFormat.PARQUET]: FileFormat.parquet,
};

/**
 * `Export`: the whole result of a browse (every event the filter selects, in
 * (event_timestamp, event_id) order at one snapshot) or of a checked SQL statement, as a CSV,
 * NDJSON, Parquet or Arrow IPC stream file, streamed in 64–256 KiB chunks with backpressure —
 * never whole in memory. CSV, NDJSON and Parquet are written by DuckDB into the sandbox's temp
 * folder and read back while it writes; Arrow is built in JS from the result chunks. The
 * statement is interrupted, and the temp file removed, when the client goes away or the
 * export's time limit passes. Exported rows count in `rows_returned_total{rpc="Export"}`.
 */
export function runExport(
  runner: QueryRunner,
  limits: ExportLimits,
  metrics: QueryMetrics | undefined,
  request: ExportRequest,
  signal: AbortSignal,
): AsyncIterable<ExportResponse> {
  if (request.source.case === undefined)
    throw new BadRequestError("give a source: browse (an event filter) or sql");
  const format = request.format;
  if (format !== ExportFormat.ARROW_IPC && FILE_FORMATS[format] === undefined)
    throw new BadRequestError(
      `unknown export format ${format}: EXPORT_FORMAT_CSV, EXPORT_FORMAT_NDJSON, EXPORT_FORMAT_PARQUET or EXPORT_FORMAT_ARROW_IPC`,
    );
  const channel = createResultChannel<ExportResponse>();
  runner
    .run(
      async (c, signal) => {
        // The runner interrupts DuckDB on the client's signal and at the limit (its own timer,
        // started first, so its error names the right cause); the streaming loops check both.
        const stop = AbortSignal.any([signal, AbortSignal.timeout(limits.timeoutMs)]);
        const query = await exportQueryOf(c, request);
        const sink = createChunkSink((data) => channel.push(create(ExportResponseSchema, { data }), signal));
        const fileFormat = FILE_FORMATS[format];
        const rows =
          fileFormat === undefined
            ? await exportArrow(c, query, (bytes) => sink.write(bytes), stop)
            : await exportWithCopy(c, query, fileFormat, (bytes) => sink.write(bytes), stop);
        await sink.flush();
        metrics?.rowsReturned.inc({ rpc: "Export" }, Number(rows));
      },
      { timeoutMs: limits.timeoutMs, signal },
    )
    .then(
      () => channel.end(),
      (err: unknown) => channel.end(err),
    );
  return channel;
}
