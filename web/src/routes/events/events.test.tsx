import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromMs, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  AggregateResponseSchema,
  type BrowseRequest,
  BrowseResponseSchema,
  ColumnSchema,
  DescribeTableResponseSchema,
  Direction,
  type EventFilter,
  type ExportRequest,
  ExportResponseSchema,
  GetEventResponseSchema,
  ListSnapshotsResponseSchema,
  ListTablesResponseSchema,
  QueryService,
  RowSchema,
} from "@langtian/proto";
import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeAuth, renderApp } from "../../testing/render-app.tsx";

afterEach(cleanup);

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

const TABLE = "device_telemetry_v1";
const COLUMNS = [
  ["event_id", "VARCHAR"],
  ["event_type", "VARCHAR"],
  ["event_timestamp", "TIMESTAMP WITH TIME ZONE"],
  ["received_timestamp", "TIMESTAMP WITH TIME ZONE"],
  ["source_system", "VARCHAR"],
  ["partition_key", "VARCHAR"],
  ["traceparent", "VARCHAR"],
  ["_source", "VARCHAR"],
  ["_partition", "VARCHAR"],
  ["_position", "BIGINT"],
  ["temperature", "DOUBLE"],
] as const;
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

interface FakeEvent {
  readonly values: Record<string, JsonValue>;
  /** The snapshot that committed it. */
  readonly snapshot: number;
}

/** 12 events: the first 7 in snapshot 1, the rest in snapshot 2. */
function makeEvents(): FakeEvent[] {
  return Array.from({ length: 12 }, (_, i) => ({
    snapshot: i < 7 ? 1 : 2,
    values: {
      event_id: `0190a000-0000-7000-8000-${String(i).padStart(12, "0")}`,
      event_type: "device.telemetry",
      event_timestamp: new Date(T0 + i * 1000).toISOString(),
      received_timestamp: new Date(T0 + i * 1000 + 250).toISOString(),
      source_system: i % 2 === 0 ? "stack" : "field",
      partition_key: `dev-${i % 3}`,
      traceparent: `00-${traceIdOfEvent(i)}-00f067aa0ba902b7-01`,
      _source: "kafka:eda.events",
      _partition: "2",
      _position: String(40 + i),
      temperature: 20 + i,
    },
  }));
}

/** The trace id of fake event i (32 hex digits). */
const traceIdOfEvent = (i: number) => `4bf92f3577b34da6a3ce929d0e0e${String(i).padStart(4, "0")}`;

function matches(e: FakeEvent, f: EventFilter | undefined, snapshot: number): boolean {
  if (e.snapshot > snapshot) return false;
  if (f === undefined) return true;
  const v = e.values;
  if (f.eventType !== undefined && v.event_type !== f.eventType) return false;
  if (f.sourceSystem !== undefined && v.source_system !== f.sourceSystem) return false;
  if (f.partitionKey !== undefined && v.partition_key !== f.partitionKey) return false;
  if (f.eventId !== undefined && v.event_id !== f.eventId) return false;
  for (const c of f.columns) {
    const want = c.value?.kind.case === "stringValue" ? c.value.kind.value : undefined;
    if (String(v[c.column]) !== want) return false;
  }
  return true;
}

const rowOf = (e: FakeEvent) =>
  create(RowSchema, { cells: COLUMNS.map(([name]) => fromJson(ValueSchema, e.values[name] ?? null)) });
const columns = COLUMNS.map(([name, type]) => create(ColumnSchema, { name, type }));

/** Page size of the fake: small, so three pages hold the 12 events. */
const FAKE_PAGE = 5;

/**
 * QueryService over 12 events in two snapshots, recording every request. Cursors are
 * `offset:snapshot:<filter json>`, pinned like the real ones.
 */
function fakeQueryService(options: { exportGate?: Promise<void> } = {}) {
  const events = makeEvents();
  /** The lake's latest snapshot (a test may commit "more"). */
  const lake = { latest: 2 };
  const browses: BrowseRequest[] = [];
  const exports: ExportRequest[] = [];
  const exportSignals: AbortSignal[] = [];
  const filters = new Map<string, EventFilter | undefined>();
  const routes = (router: ConnectRouter) =>
    router.service(QueryService, {
      listTables: () =>
        create(ListTablesResponseSchema, {
          tables: [
            { name: "dead_letters", rows: 0n, eventTable: false },
            { name: TABLE, rows: 12n, eventTable: true },
          ],
          snapshotId: 2n,
        }),
      describeTable: () => create(DescribeTableResponseSchema, { columns, snapshotId: 2n }),
      listSnapshots: () =>
        create(ListSnapshotsResponseSchema, {
          snapshots: [
            { snapshotId: 2n, time: timestampFromMs(T0 + 20_000) },
            { snapshotId: 1n, time: timestampFromMs(T0 + 10_000) },
          ],
        }),
      browse: (req) => {
        browses.push(req);
        let offset = 0;
        let snapshot = req.at?.at.case === "snapshotId" ? Number(req.at.at.value) : lake.latest;
        let filter = req.filter;
        let backward = req.direction === Direction.BACKWARD;
        if (req.cursor !== "") {
          const [o, s, b, key] = req.cursor.split(":");
          offset = Number(o);
          snapshot = Number(s);
          backward = b === "b";
          filter = filters.get(key ?? "");
        }
        const selected = events.filter((e) => matches(e, filter, snapshot));
        if (backward) selected.reverse();
        const page = selected.slice(offset, offset + FAKE_PAGE);
        const key = String(filters.size);
        filters.set(key, filter);
        const more = offset + FAKE_PAGE < selected.length;
        return create(BrowseResponseSchema, {
          columns,
          rows: page.map(rowOf),
          nextCursor: more ? `${offset + FAKE_PAGE}:${snapshot}:${backward ? "b" : "f"}:${key}` : "",
          snapshotId: BigInt(snapshot),
        });
      },
      aggregate: (req) => {
        const snapshot = req.at?.at.case === "snapshotId" ? Number(req.at.at.value) : lake.latest;
        const n = events.filter((e) => matches(e, req.filter, snapshot)).length;
        return create(AggregateResponseSchema, {
          columns: [{ name: "count", type: "BIGINT" }],
          rows: [{ cells: [fromJson(ValueSchema, String(n))] }],
          snapshotId: BigInt(snapshot),
        });
      },
      getEvent: (req) => {
        const e = events.find((x) => x.values.event_id === req.eventId);
        if (e === undefined) throw new ConnectError(`no event ${req.eventId}`, Code.NotFound);
        return create(GetEventResponseSchema, {
          table: TABLE,
          columns,
          row: rowOf(e),
          lineage: {
            receivedTime: timestampFromMs(Date.parse(String(e.values.received_timestamp))),
            source: "kafka:eda.events",
            partition: "2",
            position: BigInt(String(e.values._position)),
            snapshotId: BigInt(e.snapshot),
            snapshotTime: timestampFromMs(T0 + e.snapshot * 10_000),
            committedTime: timestampFromMs(T0 + e.snapshot * 10_000 + 5),
            file: "data/main/device_telemetry_v1/part-1.parquet",
          },
        });
      },
      async *export(req, context) {
        exports.push(req);
        exportSignals.push(context.signal);
        const snapshot = req.at?.at.case === "snapshotId" ? Number(req.at.at.value) : lake.latest;
        const filter = req.source.case === "browse" ? req.source.value : undefined;
        const selected = events.filter((e) => matches(e, filter, snapshot));
        const encoder = new TextEncoder();
        yield create(ExportResponseSchema, { data: encoder.encode("event_id,note\n") });
        const half = Math.ceil(selected.length / 2);
        // A quoted newline is one record, not two.
        const lines = selected.map((e) => `${e.values.event_id},"a\nb"\n`);
        yield create(ExportResponseSchema, { data: encoder.encode(lines.slice(0, half).join("")) });
        await options.exportGate;
        if (context.signal.aborted) return;
        yield create(ExportResponseSchema, { data: encoder.encode(lines.slice(half).join("")) });
      },
    });
  return { routes, browses, exports, exportSignals, lake };
}

async function gridRows() {
  const grid = await screen.findByRole("grid", { name: `Events of ${TABLE}` });
  return within(grid).getAllByRole("row").slice(1);
}

describe("the events page", () => {
  it("puts the filters into the URL and into the Browse request", async () => {
    const fake = fakeQueryService();
    const { router } = renderApp("/events", fake.routes);
    await gridRows();
    const form = screen.getByRole("form", { name: "Event filters" });
    fireEvent.change(within(form).getByLabelText("Type"), { target: { value: "device.telemetry" } });
    fireEvent.change(within(form).getByLabelText("Source"), { target: { value: "stack" } });
    fireEvent.change(within(form).getByLabelText("Key"), { target: { value: "dev-0" } });
    fireEvent.click(within(form).getByRole("button", { name: "+ Field filter" }));
    fireEvent.change(within(form).getByLabelText("Field"), { target: { value: "temperature" } });
    fireEvent.change(within(form).getByLabelText("equals"), { target: { value: "26" } });
    fireEvent.change(within(form).getByLabelText("From (local time)"), {
      target: { value: "2026-12-01T00:00:00" },
    });
    fireEvent.click(within(form).getByRole("button", { name: "Apply" }));

    await waitFor(() =>
      expect(router.state.location.search).toMatchObject({
        type: "device.telemetry",
        source: "stack",
        key: "dev-0",
        where: ["temperature=26"],
        from: new Date("2026-12-01T00:00:00").toISOString(),
      }),
    );
    await waitFor(() => expect(fake.browses.at(-1)?.filter?.eventType).toBe("device.telemetry"));
    const filter = fake.browses.at(-1)?.filter;
    expect(filter?.table).toBe(TABLE);
    expect(filter?.sourceSystem).toBe("stack");
    expect(filter?.partitionKey).toBe("dev-0");
    expect(filter?.columns.map((c) => [c.column, c.value?.kind.value])).toEqual([["temperature", "26"]]);
    expect(Number(filter?.from?.seconds) * 1000).toBe(Date.parse("2026-12-01T00:00:00"));
    // Event 6 is the one event of source "stack", key "dev-0" with temperature 26.
    await waitFor(async () => expect(await gridRows()).toHaveLength(1));
    expect(screen.getByTestId("events-status").textContent).toContain("1 events of 1 matching");
  });

  it("opens a shared link with its filters, and says which filters matched nothing", async () => {
    const fake = fakeQueryService();
    renderApp(`/events?type=nothing.here&key=42&order=oldest`, fake.routes);
    expect(await screen.findByText("No events match")).toBeTruthy();
    expect(screen.getByTestId("empty-filters").textContent).toBe("type = nothing.here, key = 42");
    const request = fake.browses[0];
    expect(request?.filter?.eventType).toBe("nothing.here");
    // A key the URL parser reads as a number is still a string filter.
    expect(request?.filter?.partitionKey).toBe("42");
    expect(request?.direction).toBe(Direction.FORWARD);
    expect((screen.getByLabelText("Type") as HTMLInputElement).value).toBe("nothing.here");
  });

  it("requests the next pages with the cursor as the grid nears its end; only the first page is kept offline", async () => {
    const fake = fakeQueryService();
    const { context } = renderApp("/events", fake.routes);
    // jsdom renders the first rows; the grid is near its end with 5 rows, so it asks for more.
    await waitFor(() => expect(screen.getByTestId("events-status").textContent).toMatch(/^12 events of 12/));
    expect(fake.browses.map((b) => b.cursor)).toEqual(["", "5:2:b:0", "10:2:b:1"]);
    expect(fake.browses[0]?.direction).toBe(Direction.BACKWARD);
    expect(fake.browses[0]?.pageSize).toBe(1000);
    const browseQueries = context.queryClient
      .getQueryCache()
      .getAll()
      .filter((q) => JSON.stringify(q.queryKey).includes("Browse"));
    expect(browseQueries.map((q) => q.meta?.offline)).toEqual([undefined, false, false]);
    expect(screen.getByTestId("events-grid")).toBeTruthy();
  });

  it("opens an event in a drawer with its lineage; Escape closes it and the grid takes focus back", async () => {
    const fake = fakeQueryService();
    const { router } = renderApp("/events?source=field", fake.routes);
    const rows = await gridRows();
    const first = rows[0];
    if (first === undefined) throw new Error("no rows");
    fireEvent.click(first);
    const id = "0190a000-0000-7000-8000-000000000011";
    await waitFor(() => expect(router.state.location.pathname).toBe(`/events/${id}`));
    // The filters stay: closing returns to the same view.
    expect(router.state.location.search).toEqual({ source: "field" });
    const drawer = await screen.findByRole("dialog", { name: `Event ${id}` });
    const lineage = await within(drawer).findByTestId("lineage");
    const steps = within(lineage)
      .getAllByRole("listitem")
      .map((li) => li.textContent ?? "");
    expect(steps[0]).toContain("Device time");
    expect(steps[1]).toContain("Received");
    expect(steps[1]).toContain("+250 ms");
    expect(steps[2]).toContain("Kafka offset");
    expect(steps[2]).toContain("kafka:eda.events · partition 2 · offset 51");
    expect(steps[3]).toContain("Committed in snapshot #2");
    expect(within(drawer).getByText("temperature")).toBeTruthy();
    expect(within(drawer).getByText("31")).toBeTruthy();
    expect(document.activeElement?.id).toBe("event-drawer-title");

    fireEvent.keyDown(drawer, { key: "Escape" });
    await waitFor(() => expect(router.state.location.pathname).toBe("/events"));
    expect(router.state.location.search).toEqual({ source: "field" });
    await waitFor(() => expect(document.activeElement?.getAttribute("role")).toBe("grid"));
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("shows the event's trace id, linked to where the deployment shows traces", async () => {
    const fake = fakeQueryService();
    const id = "0190a000-0000-7000-8000-000000000003";
    const auth = fakeAuth({
      name: "tester",
      role: "viewer",
      traceUrl: "http://traces.example/trace/{traceId}",
    });
    renderApp(`/events/${id}`, fake.routes, { auth });
    const drawer = await screen.findByRole("dialog", { name: `Event ${id}` });
    const trace = await within(drawer).findByTestId("event-trace");
    expect(trace.textContent).toContain(traceIdOfEvent(3));
    const link = within(trace).getByRole("link", { name: "Open the trace" });
    expect(link.getAttribute("href")).toBe(`http://traces.example/trace/${traceIdOfEvent(3)}`);
  });

  it("shows the trace id without a link when the admin names no trace viewer", async () => {
    const fake = fakeQueryService();
    const id = "0190a000-0000-7000-8000-000000000004";
    renderApp(`/events/${id}`, fake.routes);
    const trace = await within(await screen.findByRole("dialog", { name: `Event ${id}` })).findByTestId(
      "event-trace",
    );
    expect(trace.textContent).toContain(traceIdOfEvent(4));
    expect(within(trace).queryByRole("link")).toBeNull();
  });

  it("opens a direct link to an event over the list; Enter in the grid opens another", async () => {
    const fake = fakeQueryService();
    const id = "0190a000-0000-7000-8000-000000000003";
    const { router } = renderApp(`/events/${id}`, fake.routes);
    const drawer = await screen.findByRole("dialog", { name: `Event ${id}` });
    expect(await within(drawer).findByText(/Committed in snapshot #1/)).toBeTruthy();
    const grid = await screen.findByRole("grid", { name: `Events of ${TABLE}` });
    fireEvent.keyDown(grid, { key: "ArrowDown" });
    fireEvent.keyDown(grid, { key: "Enter" });
    // Newest first: the second row is event 10.
    await waitFor(() =>
      expect(router.state.location.pathname).toBe("/events/0190a000-0000-7000-8000-000000000010"),
    );
  });

  it("travels in time to a snapshot: browsing pins it and shows fewer rows", async () => {
    const fake = fakeQueryService();
    const { router } = renderApp("/events", fake.routes);
    await waitFor(() => expect(screen.getByTestId("events-status").textContent).toMatch(/^12 events/));
    const picker = screen.getByLabelText("Snapshot");
    await waitFor(() => expect(within(picker).getAllByRole("option")).toHaveLength(3));
    fireEvent.change(picker, { target: { value: "1" } });
    await waitFor(() => expect(router.state.location.search).toEqual({ snapshot: 1 }));
    await waitFor(() => expect(screen.getByTestId("events-status").textContent).toMatch(/^7 events of 7/));
    expect(screen.getByTestId("events-status").textContent).toContain("snapshot #1 (time travel)");
    const pinned = fake.browses.filter((b) => b.cursor === "" && b.at !== undefined);
    expect(pinned.map((b) => b.at?.at.value)).toEqual([1n]);
  });

  it("reads the latest snapshot again on Refresh", async () => {
    const fake = fakeQueryService();
    fake.lake.latest = 1;
    renderApp("/events", fake.routes);
    await waitFor(() =>
      expect(screen.getByTestId("events-status").textContent).toMatch(/^7 events of 7 .* #1$/),
    );
    fake.lake.latest = 2;
    fireEvent.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() =>
      expect(screen.getByTestId("events-status").textContent).toMatch(/^12 events of 12 .* #2$/),
    );
  });

  it("chooses columns, kept in the URL", async () => {
    const fake = fakeQueryService();
    const { router } = renderApp("/events", fake.routes);
    await gridRows();
    const headers = () => screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers()).toEqual([
      "event_timestamp",
      "event_type",
      "source_system",
      "partition_key",
      "event_id",
      "temperature",
    ]);
    fireEvent.click(screen.getByRole("checkbox", { name: "event_type" }));
    await waitFor(() => expect(router.state.location.search.cols).toHaveLength(5));
    fireEvent.click(screen.getByRole("checkbox", { name: "_position" }));
    await waitFor(() =>
      expect(router.state.location.search).toEqual({
        cols: ["event_timestamp", "source_system", "partition_key", "event_id", "temperature", "_position"],
      }),
    );
    expect(headers()).toEqual([
      "event_timestamp",
      "source_system",
      "partition_key",
      "event_id",
      "temperature",
      "_position",
    ]);
  });

  it("closes the column chooser on Escape (focus back on its button) and on a click outside", async () => {
    const fake = fakeQueryService();
    renderApp("/events", fake.routes);
    await gridRows();
    const summary = screen.getByText(/^Columns \(/);
    const details = summary.closest("details") as HTMLDetailsElement;
    details.open = true;
    fireEvent(details, new Event("toggle"));
    const box = within(details).getByRole("checkbox", { name: "event_type" });
    box.focus();
    fireEvent.keyDown(box, { key: "Escape" });
    expect(details.open).toBe(false);
    expect(document.activeElement).toBe(summary);
    details.open = true;
    fireEvent(details, new Event("toggle"));
    fireEvent.pointerDown(within(details).getByRole("checkbox", { name: "event_type" }));
    expect(details.open).toBe(true);
    fireEvent.pointerDown(screen.getByRole("heading", { name: "Events" }));
    expect(details.open).toBe(false);
  });

  describe("export", () => {
    const created: Blob[] = [];
    beforeEach(() => {
      created.length = 0;
      URL.createObjectURL = vi.fn((blob: Blob) => {
        created.push(blob);
        return `blob:export-${created.length}`;
      });
      URL.revokeObjectURL = vi.fn();
    });

    it("collects the chunks into a file, reporting bytes and rows as they come", async () => {
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const fake = fakeQueryService({ exportGate: gate });
      renderApp("/events?source=stack", fake.routes);
      await gridRows();
      fireEvent.click(screen.getByRole("button", { name: "Export" }));
      // Half the rows arrived; the rest wait at the gate.
      await waitFor(() =>
        expect(screen.getByTestId("export-status").textContent).toMatch(/Exporting… .* B · 3 rows of 6/),
      );
      // Announced: that it started; the counts climbing beside it are not.
      expect(screen.getByTestId("export-announce").textContent?.trim()).toBe("Exporting…");
      expect(screen.getByTestId("export-announce").getAttribute("role")).toBe("status");
      expect(screen.getByRole("button", { name: "Cancel export" })).toBeTruthy();
      await act(async () => release());
      const link = await screen.findByTestId("export-download");
      expect(link.textContent).toMatch(/^Download CSV \(\d+ B, 6 rows\)$/);
      expect(link.getAttribute("href")).toBe("blob:export-1");
      expect(link.getAttribute("download")).toMatch(/^device_telemetry_v1-.*\.csv$/);
      const text = await created[0]?.text();
      expect(text?.split("\n")).toHaveLength(1 + 6 * 2 + 1);
      const request = fake.exports[0];
      expect(request?.source.case).toBe("browse");
      expect(request?.source.value).toMatchObject({ table: TABLE, sourceSystem: "stack" });
      // The file is read at the snapshot the grid shows.
      expect(request?.at?.at.value).toBe(2n);
    });

    it("cancels an export", async () => {
      const fake = fakeQueryService({ exportGate: new Promise(() => {}) });
      renderApp("/events", fake.routes);
      await gridRows();
      fireEvent.change(screen.getByLabelText("Export format"), { target: { value: "1" } });
      fireEvent.click(screen.getByRole("button", { name: "Export" }));
      fireEvent.click(await screen.findByRole("button", { name: "Cancel export" }));
      await waitFor(() => expect(screen.getByTestId("export-status").textContent).toBe("Export cancelled"));
      expect(fake.exports[0]?.format).toBe(3); // Parquet
      await waitFor(() => expect(fake.exportSignals[0]?.aborted).toBe(true));
      expect(created).toHaveLength(0);
    });
  });

  it("shows the error of a failed Browse, with a retry", async () => {
    const fake = fakeQueryService();
    renderApp("/events", (router) => {
      fake.routes(router);
      router.rpc(QueryService.method.browse, () => {
        throw new ConnectError("lake unavailable", Code.Unavailable);
      });
    });
    const alert = await screen.findByRole("alert", {}, { timeout: 3000 });
    expect(alert.textContent).toContain("The API cannot be reached");
    expect(within(alert).getByRole("button", { name: "Retry" })).toBeTruthy();
  });
});
