import type { Value } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { type Column, QueryService } from "@langtian/proto";
import { createFileRoute } from "@tanstack/react-router";
import type { ColumnDef } from "@tanstack/react-table";
import { type KeyboardEvent, type ReactNode, useEffect, useMemo, useRef, useState } from "react";
import { formatBytes, formatCount, formatTime } from "../../ui/format.ts";
import { Page } from "../../ui/page.tsx";
import { plural } from "../../ui/plural.ts";
import { describeError, EmptyState, Loading } from "../../ui/query-state.tsx";
import { TextPositionView } from "../../ui/text-position.tsx";
import { useFillHeight } from "../../ui/use-fill-height.ts";
import { VirtualTable } from "../../ui/virtual-table.tsx";
import { type Cell, cellOf, cellText } from "./-components/sql-cells.ts";
import { findSqlErrorLocation } from "./-components/sql-error-location.ts";
import { download, exportSql, SQL_EXPORT_FORMATS, type SqlExportFormat } from "./-components/sql-export.ts";
import {
  addSqlHistory,
  clearSqlHistory,
  readSqlHistory,
  type SqlHistoryEntry,
} from "./-components/sql-history.ts";
import { sqlParameterNames, sqlParams } from "./-components/sql-params.ts";
import { DEFAULT_MAX_ROWS, MAX_ROWS_CHOICES, validateSqlSearch } from "./-components/sql-search.ts";
import "../../ui/page-parts.css";
import "./-components/sql.css";

export const Route = createFileRoute("/sql/")({
  validateSearch: validateSqlSearch,
  component: SqlPage,
});

/** A run of the console: its statement, what streamed in so far, and how it ended. */
interface SqlRun {
  readonly state: "running" | "done" | "canceled" | "failed";
  readonly sql: string;
  readonly params: Record<string, Value>;
  readonly columns: readonly Column[];
  readonly rows: readonly Cell[][];
  readonly truncated: boolean;
  /** The statement's time as the server measured it (done), else the time seen here. */
  readonly elapsedMs: number | undefined;
  readonly error?: unknown;
}

type ExportState =
  | { readonly state: "idle" }
  | { readonly state: "running"; readonly label: string; readonly bytes: number }
  | { readonly state: "done"; readonly label: string; readonly bytes: number }
  | { readonly state: "cancelled"; readonly label: string }
  | { readonly state: "failed"; readonly error: unknown };

/** How often the bytes of a running export are shown: a large export is thousands of chunks. */
const EXPORT_PROGRESS_MS = 100;

const EXAMPLE =
  "SELECT event_type, count(*) AS events\nFROM lake.device_telemetry_v1\nGROUP BY ALL\nORDER BY events DESC";

function SqlPage() {
  const search = Route.useSearch();
  const navigate = Route.useNavigate();
  const transport = useTransport();
  const client = useMemo(() => createClient(QueryService, transport), [transport]);
  const [text, setText] = useState(search.q ?? "");
  const [paramTexts, setParamTexts] = useState<Readonly<Record<string, string>>>(search.p ?? {});
  const paramNames = useMemo(() => sqlParameterNames(text), [text]);
  const maxRows = search.max ?? DEFAULT_MAX_ROWS;
  const [run, setRun] = useState<SqlRun | undefined>();
  const [history, setHistory] = useState<SqlHistoryEntry[]>(() => readSqlHistory());
  const [exporting, setExporting] = useState<ExportState>({ state: "idle" });
  const current = useRef<AbortController | undefined>(undefined);
  const exportAbort = useRef<AbortController | undefined>(undefined);
  const editor = useRef<HTMLTextAreaElement>(null);

  const start = async (sql: string) => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    const params = sqlParams(sql, paramTexts);
    // The URL holds the statement and its parameters, so a query is a link.
    const used = Object.fromEntries(Object.keys(params).map((name) => [name, paramTexts[name] ?? ""]));
    void navigate({
      search: ({ p: _p, ...prev }) => ({
        ...prev,
        q: sql,
        ...(Object.keys(used).length === 0 ? {} : { p: used }),
      }),
      replace: true,
    });
    const startedMs = performance.now();
    let columns: readonly Column[] = [];
    const rows: Cell[][] = [];
    let truncated = false;
    let elapsedMs: number | undefined;
    const show = (state: SqlRun["state"], error?: unknown) => {
      // A newer run replaced this one: it no longer owns the screen.
      if (current.current !== controller) return;
      setRun({
        state,
        sql,
        params,
        columns,
        rows: rows.slice(),
        truncated,
        elapsedMs: elapsedMs ?? performance.now() - startedMs,
        ...(error === undefined ? {} : { error }),
      });
    };
    show("running");
    try {
      for await (const message of client.sql({ sql, maxRows, params }, { signal: controller.signal })) {
        const part = message.part;
        if (part.case === "header") columns = part.value.columns;
        else if (part.case === "rows") for (const row of part.value.rows) rows.push(row.cells.map(cellOf));
        else if (part.case === "summary") {
          truncated = part.value.truncated;
          elapsedMs = part.value.elapsedMs;
        }
        show("running");
      }
      show("done");
      setHistory(addSqlHistory({ sql, atMs: Date.now(), rows: rows.length, ok: true }));
    } catch (err) {
      if (controller.signal.aborted) {
        show("canceled");
        return;
      }
      show("failed", err);
      setHistory(addSqlHistory({ sql, atMs: Date.now(), rows: undefined, ok: false }));
    }
  };

  // A link with a statement runs it as the page opens; leaving the page cancels a running one.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per mount, with the link's statement
  useEffect(() => {
    if (search.q !== undefined) void start(search.q);
    return () => {
      current.current?.abort();
      exportAbort.current?.abort();
    };
  }, []);

  const cancel = () => current.current?.abort();
  const running = run?.state === "running";
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (text.trim() !== "") void start(text);
    } else if (e.key === "Escape" && running) {
      e.preventDefault();
      cancel();
    }
  };

  const errorMessage = run?.state === "failed" ? describeError(run.error) : undefined;
  const location =
    errorMessage === undefined || run === undefined
      ? undefined
      : findSqlErrorLocation(errorMessage.detail, run.sql);
  const showInEditor = () => {
    const el = editor.current;
    if (el === null || location === undefined) return;
    el.focus();
    el.setSelectionRange(location.offset, Math.min(el.value.length, location.offset + 1));
  };
  // The editor's cursor goes to the error as it arrives (unless the text changed since the run),
  // so a keyboard user who goes back to the editor lands on it.
  const errorOffset = location?.offset;
  useEffect(() => {
    const el = editor.current;
    if (el === null || errorOffset === undefined || el.value !== run?.sql) return;
    el.setSelectionRange(errorOffset, Math.min(el.value.length, errorOffset + 1));
  }, [errorOffset, run?.sql]);

  // Kept in a ref, so Cancel export and leaving the page stop the server's export too.
  const startExport = (format: SqlExportFormat) => {
    if (run === undefined) return;
    exportAbort.current?.abort();
    const controller = new AbortController();
    exportAbort.current = controller;
    const label = format.label;
    setExporting({ state: "running", label, bytes: 0 });
    let shownAtMs = 0;
    exportSql(client, run.sql, run.params, format, controller.signal, (bytes) => {
      const now = performance.now();
      if (now - shownAtMs < EXPORT_PROGRESS_MS) return;
      shownAtMs = now;
      setExporting({ state: "running", label, bytes });
    })
      .then(
        (blob) => {
          download(blob, `langtian-query-${new Date().toISOString().replace(/[:.]/g, "-")}.${format.ext}`);
          setExporting({ state: "done", label, bytes: blob.size });
        },
        (error: unknown) =>
          setExporting(
            controller.signal.aborted ? { state: "cancelled", label } : { state: "failed", error },
          ),
      )
      .finally(() => {
        if (exportAbort.current === controller) exportAbort.current = undefined;
      });
  };
  const cancelExport = () => exportAbort.current?.abort();
  const exportBar =
    run === undefined || run.state === "failed" ? null : (
      <SqlExportBar exporting={exporting} disabled={running} onExport={startExport} onCancel={cancelExport} />
    );

  return (
    <Page title="SQL console">
      <div className="sql-console">
        <div className="sql-main">
          <div className="sql-editor">
            <label htmlFor="sql-editor">
              Statement <span className="muted">(one read-only SELECT; tables are lake.&lt;table&gt;)</span>
            </label>
            <textarea
              id="sql-editor"
              ref={editor}
              value={text}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={onKeyDown}
              rows={8}
              spellCheck={false}
              placeholder={EXAMPLE}
              aria-invalid={location !== undefined}
              aria-describedby="sql-help"
              {...(errorMessage === undefined ? {} : { "aria-errormessage": "sql-error" })}
            />
            {paramNames.length === 0 ? null : (
              <fieldset className="sql-params">
                <legend>Parameters</legend>
                {paramNames.map((name) => (
                  <label key={name}>
                    ${name}
                    <input
                      type="text"
                      value={paramTexts[name] ?? ""}
                      onChange={(e) => setParamTexts((prev) => ({ ...prev, [name]: e.target.value }))}
                      onKeyDown={(e) => {
                        if (e.key === "Enter" && text.trim() !== "") void start(text);
                      }}
                    />
                  </label>
                ))}
                <span className="muted">Numbers, true/false and null as such; anything else as text.</span>
              </fieldset>
            )}
            <div className="toolbar">
              <button
                type="button"
                className="primary"
                disabled={text.trim() === ""}
                onClick={() => void start(text)}
              >
                Run
              </button>
              <button type="button" disabled={!running} onClick={cancel}>
                Cancel
              </button>
              <label>
                Max rows
                <select
                  value={maxRows}
                  onChange={(e) =>
                    void navigate({
                      search: (prev) => ({ ...prev, max: Number(e.target.value) }),
                      replace: true,
                    })
                  }
                >
                  {MAX_ROWS_CHOICES.map((n) => (
                    <option key={n} value={n}>
                      {formatCount(n)}
                    </option>
                  ))}
                </select>
              </label>
              <span id="sql-help" className="muted">
                Ctrl+Enter runs, Escape cancels.
              </span>
            </div>
          </div>
          {errorMessage === undefined ? null : (
            <div className="state state-error sql-error" role="alert" id="sql-error">
              <strong>{errorMessage.title}</strong>
              <div className="state-detail">{errorMessage.detail}</div>
              {location === undefined || run === undefined ? null : (
                <TextPositionView
                  text={run.sql}
                  position={location}
                  testId="sql-error"
                  onShow={showInEditor}
                />
              )}
            </div>
          )}
          <SqlResult run={run} exportBar={exportBar} />
        </div>
        <HistoryPanel
          history={history}
          onRun={(sql) => {
            setText(sql);
            void start(sql);
          }}
          onLoad={(sql) => {
            setText(sql);
            editor.current?.focus();
          }}
          onClear={() => {
            clearSqlHistory();
            setHistory([]);
          }}
        />
      </div>
    </Page>
  );
}

/**
 * Export of the whole result, beside the status line (above the grid, so it is in view at 768 px).
 * Only what changes the export's state is announced; the bytes counting up are shown, not spoken.
 */
function SqlExportBar({
  exporting,
  disabled,
  onExport,
  onCancel,
}: {
  exporting: ExportState;
  disabled: boolean;
  onExport: (format: SqlExportFormat) => void;
  onCancel: () => void;
}) {
  const running = exporting.state === "running";
  return (
    <div className="sql-export" data-testid="sql-export">
      <span className="muted">Export the whole result:</span>
      {SQL_EXPORT_FORMATS.map((f) => (
        <button key={f.label} type="button" disabled={disabled || running} onClick={() => onExport(f)}>
          {f.label}
        </button>
      ))}
      {running ? (
        <button type="button" onClick={onCancel}>
          Cancel export
        </button>
      ) : null}
      <span role="status" data-testid="sql-export-status">
        {exporting.state === "running"
          ? `Exporting ${exporting.label}…`
          : exporting.state === "done"
            ? `${exporting.label} export downloaded (${formatBytes(exporting.bytes)})`
            : exporting.state === "cancelled"
              ? `${exporting.label} export cancelled`
              : ""}
      </span>
      {running ? (
        <span className="muted" data-testid="sql-export-bytes">
          {formatBytes(exporting.bytes)}
        </span>
      ) : null}
      {exporting.state === "failed" ? (
        <span className="field-error" role="alert">
          Export failed: {describeError(exporting.error).detail}
        </span>
      ) : null}
    </div>
  );
}

function SqlResult({ run, exportBar }: { run: SqlRun | undefined; exportBar: ReactNode }) {
  const columns = useMemo<ColumnDef<Cell[], unknown>[]>(
    () =>
      (run?.columns ?? []).map((c, i) => ({
        id: `c${i}`,
        header: c.name,
        accessorFn: (row) => row[i],
        cell: (ctx) => cellText(ctx.getValue() as Cell),
        size: 1,
        minSize: 90,
      })),
    [run?.columns],
  );
  const gridBox = useRef<HTMLDivElement>(null);
  const gridHeight = useFillHeight(gridBox);
  if (run === undefined)
    return <EmptyState title="No query yet">Write a SELECT above and press Run (Ctrl+Enter).</EmptyState>;
  if (run.state === "failed" && run.rows.length === 0) return null;
  if (run.state === "running" && run.columns.length === 0) return <Loading label="Running…" />;
  // The live region says what changed (running, done, canceled, failed); the count of a running
  // query climbs beside it, outside, so a screen reader is not read every batch of rows.
  const status =
    run.state === "running"
      ? "Running…"
      : run.state === "canceled"
        ? `Canceled after ${plural(run.rows.length, "row")}`
        : run.state === "failed"
          ? `Stopped by the error above after ${plural(run.rows.length, "row")}`
          : `${plural(run.rows.length, "row")} in ${(run.elapsedMs ?? 0).toFixed(0)} ms${
              run.truncated ? " — truncated at max rows (export for the whole result)" : ""
            }`;
  return (
    <div className="sql-result">
      <div className="sql-result-bar">
        <div className="sql-status" data-testid="sql-status">
          <span role="status">{status}</span>
          {run.state === "running" ? ` ${plural(run.rows.length, "row")} so far` : null}
        </div>
        {exportBar}
      </div>
      {run.rows.length === 0 && run.state !== "running" ? (
        <EmptyState title="No rows">
          The statement returned no rows
          {run.columns.length > 0 ? ` (columns: ${run.columns.map((c) => c.name).join(", ")})` : ""}.
        </EmptyState>
      ) : (
        <div data-testid="sql-grid" ref={gridBox}>
          <VirtualTable
            rows={run.rows}
            columns={columns}
            label="Query result"
            getRowId={(_, index) => String(index)}
            heightPx={gridHeight}
          />
        </div>
      )}
    </div>
  );
}

function HistoryPanel({
  history,
  onRun,
  onLoad,
  onClear,
}: {
  history: readonly SqlHistoryEntry[];
  onRun: (sql: string) => void;
  onLoad: (sql: string) => void;
  onClear: () => void;
}) {
  return (
    <aside className="sql-history panel" aria-labelledby="sql-history-title">
      <div className="sql-history-head">
        <h2 id="sql-history-title">History</h2>
        <button type="button" disabled={history.length === 0} onClick={onClear}>
          Clear
        </button>
      </div>
      {history.length === 0 ? (
        <p className="muted">Statements you run are kept here, in this browser.</p>
      ) : (
        <ol data-testid="sql-history">
          {history.map((entry) => (
            <li key={entry.sql}>
              <code title={entry.sql}>{entry.sql}</code>
              <div className="sql-history-meta">
                <span className={entry.ok ? "muted" : "field-error"}>
                  {formatTime(entry.atMs)} · {entry.ok ? plural(entry.rows ?? 0, "row") : "failed"}
                </span>
                <button type="button" onClick={() => onLoad(entry.sql)} aria-label={`Edit: ${entry.sql}`}>
                  Edit
                </button>
                <button type="button" onClick={() => onRun(entry.sql)} aria-label={`Run again: ${entry.sql}`}>
                  Run again
                </button>
              </div>
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}
