import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { type DescribeTableRequest, QueryService } from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app.tsx";
import { ENVELOPE_COLUMNS } from "./-components/event-contracts.ts";

afterEach(cleanup);

const envelopeColumns = ENVELOPE_COLUMNS.map((c) => ({
  name: c.name,
  type: c.type === "TIMESTAMPTZ" ? "TIMESTAMP WITH TIME ZONE" : c.type,
}));

/** A lake with the telemetry table (its payload columns, one extra) and the dead letters; no alarm table yet. */
function fakeQueryApi(seen: DescribeTableRequest[], drop = "") {
  return (router: ConnectRouter) =>
    router.service(QueryService, {
      listTables: () => ({
        tables: [
          { name: "dead_letters", rows: 3n, files: 1n, bytes: 900n, eventTable: false },
          { name: "device_telemetry_v1", rows: 1200n, files: 4n, bytes: 65_536n, eventTable: true },
        ],
        snapshotId: 9n,
      }),
      describeTable(req) {
        seen.push(req);
        if (req.table === "device_telemetry_v1")
          return {
            summary: { name: req.table, rows: 1200n, files: 4n, bytes: 65_536n, eventTable: true },
            columns: [
              ...envelopeColumns,
              { name: "device_id", type: "VARCHAR" },
              { name: "sequence", type: "BIGINT" },
              { name: "readings", type: "JSON" },
              { name: "payload", type: "BLOB" },
              { name: "firmware", type: "VARCHAR" },
            ].filter((c) => c.name !== drop),
            partitioning: ["day(event_timestamp)"],
          };
        if (req.table === "dead_letters")
          return {
            summary: { name: req.table, rows: 3n, files: 1n, bytes: 900n },
            columns: [
              { name: "raw", type: "BLOB" },
              { name: "error_kind", type: "VARCHAR" },
            ],
          };
        throw new ConnectError(`no table ${req.table}`, Code.NotFound);
      },
    });
}

describe("schemas", () => {
  it("shows an event type's payload fields, the lake table it lands in and its live columns", async () => {
    const seen: DescribeTableRequest[] = [];
    renderApp("/schemas", fakeQueryApi(seen));
    expect((await screen.findByRole("heading", { name: "device.telemetry" })).tagName).toBe("H2");
    expect(screen.getByText("langtian.device.v1.Telemetry")).toBeTruthy();
    expect(screen.getByText("device_telemetry_v1", { selector: "dd" })).toBeTruthy();
    await waitFor(() =>
      expect(screen.getByTestId("table-size").textContent).toBe("1,200 rows, 4 files, 64.0 KiB"),
    );
    const fields = screen.getByRole("table", { name: "Fields of Telemetry" });
    await waitFor(() => expect(within(fields).getAllByText("VARCHAR")).toHaveLength(2));
    const rows = within(fields).getAllByTestId("payload-field");
    expect(rows.map((r) => r.textContent)).toEqual([
      "1device_idstringdevice_idVARCHARVARCHAR",
      "2sequenceuint64sequenceBIGINTBIGINT",
      "3readingsrepeated ReadingreadingsJSONJSON",
    ]);
    // The nested message and its enum, with the oneof.
    const reading = await screen.findByRole("table", { name: "Fields of Reading" });
    expect(within(reading).getAllByText("(oneof value)", { exact: false })).toHaveLength(4);
    expect(screen.getByRole("region", { name: "Enum Quality" }).textContent).toContain("QUALITY_BAD = 3");
    // Columns the contract does not give are named.
    expect((await screen.findByTestId("extra-columns")).textContent).toContain("firmware VARCHAR");
    expect(seen.map((r) => r.table)).toEqual(["device_telemetry_v1"]);
  });

  it("switches event type through the URL; a type without a table yet says so", async () => {
    const seen: DescribeTableRequest[] = [];
    const { router } = renderApp("/schemas", fakeQueryApi(seen));
    fireEvent.click(await screen.findByRole("link", { name: /device\.alarm/ }));
    await waitFor(() => expect(router.state.location.search).toEqual({ type: "device.alarm" }));
    expect(await screen.findByRole("heading", { name: "device.alarm" })).toBeTruthy();
    const fields = screen.getByRole("table", { name: "Fields of Alarm" });
    expect(within(fields).getByText("AlarmSeverity")).toBeTruthy();
    expect(within(fields).getAllByText("(optional)", { exact: false })).toHaveLength(2);
    await waitFor(() => expect(screen.getByTestId("table-size").textContent).toContain("no table yet"));
    expect(seen.map((r) => r.table)).not.toContain("device_alarm_v1");
  });

  it("marks a contract column the lake does not have", async () => {
    const seen: DescribeTableRequest[] = [];
    renderApp("/schemas?type=device.telemetry", fakeQueryApi(seen, "readings"));
    const fields = await screen.findByRole("table", { name: "Fields of Telemetry" });
    const readings = (await within(fields).findByText("missing")).closest("tr");
    expect(readings?.textContent).toContain("repeated Reading");
    // The envelope's columns are all there.
    const envelope = screen.getByRole("table", { name: "Envelope columns" });
    await waitFor(() => expect(within(envelope).getAllByText("TIMESTAMP WITH TIME ZONE")).toHaveLength(2));
  });

  it("shows the other lake tables' columns", async () => {
    const seen: DescribeTableRequest[] = [];
    const { router } = renderApp("/schemas", fakeQueryApi(seen));
    fireEvent.click(await screen.findByRole("link", { name: /dead_letters/ }));
    await waitFor(() => expect(router.state.location.search).toEqual({ table: "dead_letters" }));
    const columns = await screen.findByRole("table", { name: "Columns of dead_letters" });
    expect(within(columns).getAllByRole("row")).toHaveLength(3);
  });

  it("still shows the contracts when the lake cannot be read", async () => {
    renderApp("/schemas", (router) =>
      router.service(QueryService, {
        listTables: () => {
          throw new ConnectError("query API away", Code.Unavailable);
        },
      }),
    );
    expect(await screen.findByText(/could not be read/, {}, { timeout: 3000 })).toBeTruthy();
    expect(screen.getByRole("table", { name: "Fields of Telemetry" })).toBeTruthy();
  });
});
