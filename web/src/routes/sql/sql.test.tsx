import { create } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  type ExportRequest,
  type ExportResponse,
  ExportResponseSchema,
  QueryService,
  type SqlRequest,
  type SqlResponse,
  SqlResponseSchema,
} from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app.tsx";
import { SQL_HISTORY_KEY } from "./-components/sql-history.ts";

afterEach(cleanup);
beforeEach(() => localStorage.clear());

// jsdom lays nothing out: give the grid's scroll box a height, so the virtual rows render.
const clientHeight = Object.getOwnPropertyDescriptor(Element.prototype, "clientHeight");
beforeAll(() => {
  Object.defineProperty(Element.prototype, "clientHeight", {
    configurable: true,
    get(this: Element) {
      return this.classList.contains("vtable-body") ? 380 : 0;
    },
  });
});
afterAll(() => {
  if (clientHeight !== undefined) Object.defineProperty(Element.prototype, "clientHeight", clientHeight);
});

const str = (s: string): Value => create(ValueSchema, { kind: { case: "stringValue", value: s } });
const num = (n: number): Value => create(ValueSchema, { kind: { case: "numberValue", value: n } });

function header(...names: string[]): SqlResponse {
  return create(SqlResponseSchema, {
    part: { case: "header", value: { columns: names.map((name) => ({ name, type: "VARCHAR" })) } },
  });
}
function rows(...cells: Value[][]): SqlResponse {
  return create(SqlResponseSchema, {
    part: { case: "rows", value: { rows: cells.map((c) => ({ cells: c })) } },
  });
}
function summary(n: number): SqlResponse {
  return create(SqlResponseSchema, {
    part: { case: "summary", value: { rows: BigInt(n), truncated: false, elapsedMs: 12 } },
  });
}

/** A QueryService whose Sql answers with `answer(request)`; every request is kept. */
function sqlService(
  answer: (req: SqlRequest) => AsyncIterable<SqlResponse>,
  exportAnswer?: (req: ExportRequest, signal: AbortSignal) => AsyncIterable<ExportResponse>,
) {
  const requests: SqlRequest[] = [];
  const routes = (router: ConnectRouter) => {
    router.rpc(QueryService.method.sql, (req) => {
      requests.push(req);
      return answer(req);
    });
    if (exportAnswer !== undefined)
      router.rpc(QueryService.method.export, (req, ctx) => exportAnswer(req, ctx.signal));
  };
  return { requests, routes };
}

/** An Export that sends one chunk and then waits until the client goes away; `aborted` says it did. */
function endlessExport() {
  const seen = { started: false, aborted: false };
  async function* answer(_req: ExportRequest, signal: AbortSignal): AsyncIterable<ExportResponse> {
    seen.started = true;
    yield create(ExportResponseSchema, { data: new TextEncoder().encode("event_type,events\n") });
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    seen.aborted = true;
    throw new ConnectError("client went away", Code.Canceled);
  }
  return { seen, answer };
}

async function* typesAndCounts(): AsyncIterable<SqlResponse> {
  yield header("event_type", "events");
  yield rows([str("device.telemetry"), num(41)]);
  yield rows([str("device.status"), num(7)], [str("device.alarm"), num(2)]);
  yield summary(3);
}

function runWithKeyboard(sql: string) {
  const editor = screen.getByLabelText(/Statement/);
  fireEvent.change(editor, { target: { value: sql } });
  fireEvent.keyDown(editor, { key: "Enter", ctrlKey: true });
}

describe("the SQL console", () => {
  it("streams a query's rows into the grid and puts the query in the URL", async () => {
    const { requests, routes } = sqlService(typesAndCounts);
    const { router } = renderApp("/sql", routes);
    await screen.findByLabelText(/Statement/);
    runWithKeyboard("SELECT event_type, count(*) AS events FROM lake.t GROUP BY ALL");
    const grid = await screen.findByRole("grid", { name: "Query result" });
    await waitFor(() => expect(screen.getByTestId("sql-status").textContent).toContain("3 rows in 12 ms"));
    expect(
      within(grid)
        .getAllByRole("columnheader")
        .map((h) => h.textContent),
    ).toEqual(["event_type", "events"]);
    expect(within(grid).getByText("device.alarm")).toBeTruthy();
    expect(within(grid).getByText("41")).toBeTruthy();
    expect(requests[0]?.sql).toBe("SELECT event_type, count(*) AS events FROM lake.t GROUP BY ALL");
    expect(requests[0]?.maxRows).toBe(10_000);
    await waitFor(() =>
      expect(router.state.location.search).toEqual({
        q: "SELECT event_type, count(*) AS events FROM lake.t GROUP BY ALL",
      }),
    );
  });

  it("runs the query of a link as it opens", async () => {
    const { requests, routes } = sqlService(typesAndCounts);
    renderApp(`/sql?q=${encodeURIComponent('"SELECT 1"')}&max=100`, routes);
    await screen.findByRole("grid", { name: "Query result" });
    expect(requests[0]?.sql).toBe("SELECT 1");
    expect(requests[0]?.maxRows).toBe(100);
    expect((screen.getByLabelText(/Statement/) as HTMLTextAreaElement).value).toBe("SELECT 1");
  });

  it("shows a syntax error at its place: line and column, the line with a caret", async () => {
    const { routes } = sqlService(() => {
      throw new ConnectError(
        'the statement cannot be parsed: syntax error at or near "FORM" at line 2, column 3',
        Code.InvalidArgument,
      );
    });
    renderApp("/sql", routes);
    await screen.findByLabelText(/Statement/);
    runWithKeyboard("SELECT *\n  FORM lake.t");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Invalid request");
    expect(alert.textContent).toContain('syntax error at or near "FORM"');
    expect(screen.getByTestId("sql-error-location").textContent).toBe("Line 2, column 3");
    expect(screen.getByTestId("sql-error-caret").textContent).toBe("  FORM lake.t\n  ^");
    const editor = screen.getByLabelText(/Statement/) as HTMLTextAreaElement;
    expect(editor.getAttribute("aria-invalid")).toBe("true");
    // The cursor goes there as the error arrives (an effect after the render that shows it);
    // the button also moves the focus.
    await waitFor(() => expect(editor.selectionStart).toBe(11));
    editor.setSelectionRange(0, 0);
    fireEvent.click(screen.getByRole("button", { name: "Show in the editor" }));
    expect(editor.selectionStart).toBe(11);
    expect(document.activeElement).toBe(editor);
  });

  it("keeps the history in this browser, newest first, and runs an entry again", async () => {
    const { requests, routes } = sqlService(typesAndCounts);
    renderApp("/sql", routes);
    await screen.findByLabelText(/Statement/);
    runWithKeyboard("SELECT 1");
    await waitFor(() => expect(screen.getByTestId("sql-status").textContent).toContain("3 rows"));
    runWithKeyboard("SELECT 2");
    await waitFor(() => expect(requests).toHaveLength(2));
    const list = await screen.findByTestId("sql-history");
    await waitFor(() =>
      expect(
        within(list)
          .getAllByRole("listitem")
          .map((li) => li.querySelector("code")?.textContent),
      ).toEqual(["SELECT 2", "SELECT 1"]),
    );
    const stored = JSON.parse(localStorage.getItem(SQL_HISTORY_KEY) ?? "[]") as { sql: string }[];
    expect(stored.map((e) => e.sql)).toEqual(["SELECT 2", "SELECT 1"]);
    // Times as everywhere else in the UI: 2026-12-02 15:41:07.123.
    expect(within(list).getAllByRole("listitem")[0]?.textContent).toMatch(
      /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} · /,
    );

    fireEvent.click(screen.getByRole("button", { name: "Run again: SELECT 1" }));
    await waitFor(() => expect(requests).toHaveLength(3));
    expect(requests[2]?.sql).toBe("SELECT 1");
    expect((screen.getByLabelText(/Statement/) as HTMLTextAreaElement).value).toBe("SELECT 1");
    await waitFor(() =>
      expect(within(list).getAllByRole("listitem")[0]?.querySelector("code")?.textContent).toBe("SELECT 1"),
    );
  });

  it("asks for the statement's named parameters and sends them typed, kept in the URL", async () => {
    const { requests, routes } = sqlService(typesAndCounts);
    const { router } = renderApp("/sql", routes);
    const editor = await screen.findByLabelText(/Statement/);
    fireEvent.change(editor, {
      target: {
        value:
          "SELECT * FROM lake.t WHERE partition_key = $device AND n > $min -- not $this\n AND s <> '$no'",
      },
    });
    fireEvent.change(screen.getByLabelText("$device"), { target: { value: "dev-3" } });
    fireEvent.change(screen.getByLabelText("$min"), { target: { value: "10" } });
    expect(screen.queryByLabelText("$this")).toBeNull();
    expect(screen.queryByLabelText("$no")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    await waitFor(() => expect(requests).toHaveLength(1));
    const params = requests[0]?.params ?? {};
    expect(Object.keys(params).sort()).toEqual(["device", "min"]);
    expect(params.device?.kind).toEqual({ case: "stringValue", value: "dev-3" });
    expect(params.min?.kind).toEqual({ case: "numberValue", value: 10 });
    await waitFor(() =>
      expect(router.state.location.search).toMatchObject({ p: { device: "dev-3", min: "10" } }),
    );
  });

  it("keeps the rows that came before an error in the middle of the stream", async () => {
    const { routes } = sqlService(async function* (_req) {
      yield header("n");
      yield rows([num(1)], [num(2)]);
      throw new ConnectError("the statement ran longer than its limit of 30000 ms", Code.DeadlineExceeded);
    });
    renderApp("/sql", routes);
    await screen.findByLabelText(/Statement/);
    runWithKeyboard("SELECT n FROM range(1000000000) t(n)");
    expect((await screen.findByRole("alert")).textContent).toContain("Timed out");
    expect(screen.getByTestId("sql-status").textContent).toBe("Stopped by the error above after 2 rows");
    expect(screen.queryByTestId("sql-error-location")).toBeNull();
  });

  it("cancels an export with Cancel export, and says so", async () => {
    const exp = endlessExport();
    const { routes } = sqlService(typesAndCounts, exp.answer);
    renderApp("/sql", routes);
    await screen.findByLabelText(/Statement/);
    runWithKeyboard("SELECT event_type, count(*) AS events FROM lake.t GROUP BY ALL");
    await waitFor(() => expect(screen.getByTestId("sql-status").textContent).toContain("3 rows in 12 ms"));
    // The export sits beside the status line, above the grid.
    const bar = screen.getByTestId("sql-export");
    expect(
      bar.compareDocumentPosition(screen.getByTestId("sql-grid")) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
    fireEvent.click(within(bar).getByRole("button", { name: "CSV" }));
    await waitFor(() => expect(screen.getByTestId("sql-export-status").textContent).toBe("Exporting CSV…"));
    await waitFor(() => expect(exp.seen.started).toBe(true));
    fireEvent.click(screen.getByRole("button", { name: "Cancel export" }));
    await waitFor(() =>
      expect(screen.getByTestId("sql-export-status").textContent).toBe("CSV export cancelled"),
    );
    await waitFor(() => expect(exp.seen.aborted).toBe(true));
    expect(screen.queryByRole("button", { name: "Cancel export" })).toBeNull();
    expect(within(bar).getByRole("button", { name: "CSV" }).hasAttribute("disabled")).toBe(false);
  });

  it("stops a running export when the page goes away", async () => {
    const exp = endlessExport();
    const { routes } = sqlService(typesAndCounts, exp.answer);
    const view = renderApp("/sql", routes);
    await screen.findByLabelText(/Statement/);
    runWithKeyboard("SELECT event_type, count(*) AS events FROM lake.t GROUP BY ALL");
    await waitFor(() => expect(screen.getByTestId("sql-status").textContent).toContain("3 rows in 12 ms"));
    fireEvent.click(within(screen.getByTestId("sql-export")).getByRole("button", { name: "Parquet" }));
    await waitFor(() => expect(exp.seen.started).toBe(true));
    view.unmount();
    await waitFor(() => expect(exp.seen.aborted).toBe(true));
  });

  it("announces the run's state, not every batch of rows", async () => {
    const { routes } = sqlService(async function* (_req) {
      yield header("n");
      yield rows([num(1)]);
      await new Promise(() => undefined);
    });
    renderApp("/sql", routes);
    await screen.findByLabelText(/Statement/);
    runWithKeyboard("SELECT n FROM range(1000000000) t(n)");
    await waitFor(() =>
      expect(screen.getByTestId("sql-status").textContent).toContain("Running… 1 row so far"),
    );
    expect(within(screen.getByTestId("sql-status")).getByRole("status").textContent).toBe("Running…");
  });

  it("cancels a running query, keeping the rows it had", async () => {
    const { routes } = sqlService(async function* (_req) {
      yield header("n");
      yield rows([num(1)]);
      // Never ends on its own: the client's cancel stops it.
      await new Promise(() => undefined);
    });
    renderApp("/sql", routes);
    await screen.findByLabelText(/Statement/);
    runWithKeyboard("SELECT n FROM range(1000000000) t(n)");
    await waitFor(() =>
      expect(screen.getByTestId("sql-status").textContent).toContain("Running… 1 row so far"),
    );
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.getByTestId("sql-status").textContent).toBe("Canceled after 1 row"));
  });
});
