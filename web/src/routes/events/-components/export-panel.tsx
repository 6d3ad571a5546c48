import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { type At, type EventFilter, ExportFormat, QueryService } from "@langtian/proto";
import { useEffect, useRef, useState } from "react";
import { formatBytes, formatCount } from "../../../ui/format.ts";
import { describeError } from "../../../ui/query-state.tsx";

/** The formats offered, with their file extension and media type. */
export const EXPORT_FORMATS = [
  { format: ExportFormat.CSV, label: "CSV", ext: "csv", type: "text/csv" },
  { format: ExportFormat.PARQUET, label: "Parquet", ext: "parquet", type: "application/vnd.apache.parquet" },
  { format: ExportFormat.NDJSON, label: "NDJSON", ext: "ndjson", type: "application/x-ndjson" },
  {
    format: ExportFormat.ARROW_IPC,
    label: "Arrow IPC",
    ext: "arrows",
    type: "application/vnd.apache.arrow.stream",
  },
] as const;

type ExportState =
  | { readonly kind: "idle" }
  | { readonly kind: "running"; readonly bytes: number; readonly rows: number | undefined }
  | {
      readonly kind: "done";
      readonly url: string;
      readonly name: string;
      readonly bytes: number;
      readonly rows: number | undefined;
    }
  | { readonly kind: "cancelled" }
  | { readonly kind: "failed"; readonly error: unknown };

/**
 * Counts the rows of a text export as its bytes stream by: lines of NDJSON, records of CSV
 * (newlines outside quotes, so a quoted value holding a newline is one record; the header line
 * is taken off at the end). Binary formats are counted by nobody (undefined).
 */
export function createRowCounter(format: ExportFormat): {
  add(bytes: Uint8Array): void;
  rows(): number | undefined;
} {
  let newlines = 0;
  let inQuotes = false;
  const csv = format === ExportFormat.CSV;
  const text = csv || format === ExportFormat.NDJSON;
  return {
    add(bytes) {
      if (!text) return;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if (csv && b === 0x22) inQuotes = !inQuotes;
        else if (b === 0x0a && !inQuotes) newlines++;
      }
    },
    rows() {
      if (!text) return undefined;
      return csv ? Math.max(0, newlines - 1) : newlines;
    },
  };
}

/**
 * Exports the whole result of the view (every page, at the snapshot it reads) as a file: the
 * Export stream's chunks are collected into a Blob and offered as a download, with the bytes
 * and rows received so far and a cancel button (aborting the call stops the server's export).
 */
export function ExportPanel({
  filter,
  at,
  total,
}: {
  filter: EventFilter;
  /** The snapshot the view reads, so the file holds what the grid shows. */
  at: At | undefined;
  /** Rows the filter selects, when known (for the progress). */
  total: bigint | undefined;
}) {
  const transport = useTransport();
  const [formatIndex, setFormatIndex] = useState(0);
  const [state, setState] = useState<ExportState>({ kind: "idle" });
  const abort = useRef<AbortController | undefined>(undefined);
  const url = state.kind === "done" ? state.url : undefined;
  useEffect(() => () => abort.current?.abort(), []);
  useEffect(
    () => () => {
      if (url !== undefined) URL.revokeObjectURL(url);
    },
    [url],
  );

  const start = async () => {
    const choice = EXPORT_FORMATS[formatIndex] ?? EXPORT_FORMATS[0];
    const controller = new AbortController();
    abort.current?.abort();
    abort.current = controller;
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    const counter = createRowCounter(choice.format);
    let bytes = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    setState({ kind: "running", bytes: 0, rows: counter.rows() });
    try {
      const client = createClient(QueryService, transport);
      const stream = client.export(
        {
          source: { case: "browse", value: filter },
          format: choice.format,
          ...(at === undefined ? {} : { at }),
        },
        { signal: controller.signal },
      );
      // Progress is shown every 100 ms, not per chunk: a large export is thousands of chunks.
      timer = setInterval(() => setState({ kind: "running", bytes, rows: counter.rows() }), 100);
      for await (const chunk of stream) {
        chunks.push(chunk.data as Uint8Array<ArrayBuffer>);
        counter.add(chunk.data);
        bytes += chunk.data.byteLength;
      }
      const blob = new Blob(chunks, { type: choice.type });
      const name = `${filter.table}-${new Date().toISOString().replace(/[:.]/g, "-")}.${choice.ext}`;
      setState({ kind: "done", url: URL.createObjectURL(blob), name, bytes, rows: counter.rows() });
    } catch (err) {
      setState(controller.signal.aborted ? { kind: "cancelled" } : { kind: "failed", error: err });
    } finally {
      clearInterval(timer);
      if (abort.current === controller) abort.current = undefined;
    }
  };

  const running = state.kind === "running";
  return (
    <fieldset className="export-panel">
      <legend className="visually-hidden">Export</legend>
      <label>
        <span className="visually-hidden">Export format</span>
        <select
          value={formatIndex}
          disabled={running}
          onChange={(e) => setFormatIndex(Number(e.target.value))}
          aria-label="Export format"
        >
          {EXPORT_FORMATS.map((f, i) => (
            <option key={f.label} value={i}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      {running ? (
        <button type="button" onClick={() => abort.current?.abort()}>
          Cancel export
        </button>
      ) : (
        <button type="button" onClick={() => void start()}>
          Export
        </button>
      )}
      {/* Only the export's changes of state are announced (started, done, cancelled, failed); the
          bytes and rows counting up every 100 ms are shown beside, outside the live region. */}
      <span className="export-status" data-testid="export-status">
        <span role="status" data-testid="export-announce">
          {state.kind === "running" ? (
            <>
              <span className="spinner" aria-hidden="true" /> Exporting…
            </>
          ) : state.kind === "done" ? (
            "Export ready: "
          ) : state.kind === "cancelled" ? (
            "Export cancelled"
          ) : null}
        </span>
        {state.kind === "running" ? (
          <span data-testid="export-progress">
            {" "}
            {formatBytes(state.bytes)}
            {state.rows === undefined ? "" : ` · ${formatCount(state.rows)} rows`}
            {total === undefined ? "" : ` of ${formatCount(total)}`}
          </span>
        ) : state.kind === "done" ? (
          <a href={state.url} download={state.name} data-testid="export-download">
            Download {state.name.slice(state.name.lastIndexOf(".") + 1).toUpperCase()} (
            {formatBytes(state.bytes)}
            {state.rows === undefined ? "" : `, ${formatCount(state.rows)} rows`})
          </a>
        ) : state.kind === "failed" ? (
          <span className="field-error" role="alert">
            Export failed: {describeError(state.error).title} — {describeError(state.error).detail}
          </span>
        ) : null}
      </span>
    </fieldset>
  );
}
