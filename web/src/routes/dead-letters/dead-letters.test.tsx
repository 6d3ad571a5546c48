import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  AdminService,
  type DeadLetter,
  DeadLetterSchema,
  EnvelopeSchema,
  type ListDeadLettersRequest,
  type ReplayDeadLettersRequest,
  TelemetrySchema,
} from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app.tsx";

afterEach(cleanup);

const envelopeBytes = toBinary(
  EnvelopeSchema,
  create(EnvelopeSchema, {
    eventId: "0190a7d2-0000-7000-8000-000000000001",
    eventType: "device.telemetry",
    schemaVersion: "1.0",
    sourceSystem: "plant-a",
    payloadType: "langtian.device.v1.Telemetry",
    payload: toBinary(TelemetrySchema, create(TelemetrySchema, { deviceId: "press-7", sequence: 3n })),
  }),
);

function deadLetter(id: string, stage: string, reason: string, raw: Uint8Array, ms: number): DeadLetter {
  return create(DeadLetterSchema, {
    id,
    stage,
    reason,
    error: `${reason}: it failed`,
    failedAt: timestampFromMs(ms),
    rawBytes: raw.length,
    raw,
    origin: { topic: "eda.events", partition: 1, offset: 42n },
  });
}

const LAKE = deadLetter(
  "lake-writer/kafka:eda.events/1/42",
  "lake-writer",
  "decode",
  new Uint8Array([0xff, 0x00, 0x13]),
  Date.UTC(2026, 11, 2, 10),
);
const BRIDGE = deadLetter("bridge/dlq/0/7", "bridge", "too_large", envelopeBytes, Date.UTC(2026, 11, 2, 9));
const JSON_DL = deadLetter(
  "collector/DLQ/5",
  "collector",
  "invalid_json",
  new TextEncoder().encode('{"device":"x","temp":21}'),
  Date.UTC(2026, 11, 2, 8),
);
const ALL = [LAKE, BRIDGE, JSON_DL];

/** An admin holding three dead letters; records what was asked. */
function fakeAdmin(seen: { list: ListDeadLettersRequest[]; replay: ReplayDeadLettersRequest[] }) {
  return (router: ConnectRouter) =>
    router.service(AdminService, {
      listDeadLetters(req) {
        seen.list.push(req);
        const rows = ALL.filter((d) => req.stage === "" || d.stage === req.stage).map((d) => ({
          ...d,
          raw: new Uint8Array(),
        }));
        // Three pages: the newest, "page-2", "page-3".
        const next = { "": "page-2", "page-2": "page-3" }[req.cursor] ?? "";
        return { deadLetters: rows, nextCursor: next, errors: {} };
      },
      getDeadLetter(req) {
        const found = ALL.find((d) => d.id === req.id);
        if (found === undefined) throw new ConnectError("no such dead letter", Code.NotFound);
        return { deadLetter: found };
      },
      replayDeadLetters(req) {
        seen.replay.push(req);
        return {
          results: req.ids.map((id) => ({
            id,
            replayed: !id.startsWith("collector/"),
            detail: id.startsWith("collector/") ? "a raw datagram is not an envelope" : "kafka:eda.events/1",
          })),
        };
      },
    });
}

describe("dead letters", () => {
  it("lists every stage's dead letters and filters by stage in the URL", async () => {
    const seen = { list: [] as ListDeadLettersRequest[], replay: [] as ReplayDeadLettersRequest[] };
    const { router } = renderApp("/dead-letters", fakeAdmin(seen));
    const table = await screen.findByRole("table", { name: "Dead letters" });
    expect(within(table).getAllByRole("row")).toHaveLength(4);
    fireEvent.change(screen.getByLabelText("Stage"), { target: { value: "bridge" } });
    await waitFor(() => expect(router.state.location.search).toEqual({ stage: "bridge" }));
    await waitFor(() =>
      expect(within(screen.getByRole("table", { name: "Dead letters" })).getAllByRole("row")).toHaveLength(2),
    );
    expect(seen.list.at(-1)?.stage).toBe("bridge");
  });

  it("applies reason and time filters to the request and the URL", async () => {
    const seen = { list: [] as ListDeadLettersRequest[], replay: [] as ReplayDeadLettersRequest[] };
    const { router } = renderApp("/dead-letters", fakeAdmin(seen));
    await screen.findByRole("table", { name: "Dead letters" });
    fireEvent.change(screen.getByLabelText("Reason"), { target: { value: "decode" } });
    fireEvent.change(screen.getByLabelText("Failed since"), { target: { value: "2026-12-01T00:00" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(router.state.location.search).toMatchObject({ reason: "decode" }));
    const since = (router.state.location.search as { since?: string }).since;
    expect(since).toBe(new Date("2026-12-01T00:00").toISOString());
    await waitFor(() => expect(seen.list.at(-1)?.reason).toBe("decode"));
    expect(seen.list.at(-1)?.since).toBeDefined();
  });

  it("pages older and newer with the cursors in the URL", async () => {
    const seen = { list: [] as ListDeadLettersRequest[], replay: [] as ReplayDeadLettersRequest[] };
    const { router } = renderApp("/dead-letters", fakeAdmin(seen));
    await screen.findByRole("table", { name: "Dead letters" });
    const button = (name: string) => screen.getByRole("button", { name }) as HTMLButtonElement;
    expect(button("Newer").disabled).toBe(true);
    fireEvent.click(button("Older"));
    await waitFor(() => expect(router.state.location.search).toEqual({ cursor: "page-2" }));
    await waitFor(() => expect(seen.list.at(-1)?.cursor).toBe("page-2"));
    await waitFor(() => expect(button("Older").disabled).toBe(false));
    fireEvent.click(button("Older"));
    await waitFor(() =>
      expect(router.state.location.search).toEqual({ cursor: "page-3", newer: ["page-2"] }),
    );
    await waitFor(() => expect(button("Older").disabled).toBe(true));
    fireEvent.click(button("Newer"));
    await waitFor(() => expect(router.state.location.search).toEqual({ cursor: "page-2" }));
    await waitFor(() => expect(button("Newer").disabled).toBe(false));
    fireEvent.click(button("Newer"));
    await waitFor(() => expect(router.state.location.search).toEqual({}));
    expect(seen.list.map((r) => r.cursor)).toEqual(["", "page-2", "page-3"]);
    await waitFor(() => expect(button("Newer").disabled).toBe(true));
  });

  it("forgets the selection when the filters or the page change, not when an item is opened", async () => {
    const seen = { list: [] as ListDeadLettersRequest[], replay: [] as ReplayDeadLettersRequest[] };
    renderApp("/dead-letters", fakeAdmin(seen), { role: "operator" });
    fireEvent.click(await screen.findByRole("checkbox", { name: `Select ${LAKE.id}` }));
    fireEvent.click(screen.getByRole("checkbox", { name: `Select ${BRIDGE.id}` }));
    await screen.findByRole("button", { name: "Replay selected (2)" });
    // Opening one keeps the selection.
    fireEvent.click(screen.getByRole("button", { name: `Inspect ${BRIDGE.id}` }));
    await screen.findByRole("dialog", { name: "Dead letter" });
    expect(screen.getByRole("button", { name: "Replay selected (2)" })).toBeTruthy();
    // Another page: nothing of it is selected.
    fireEvent.click(screen.getByRole("button", { name: "Older" }));
    await screen.findByRole("button", { name: "Replay selected (0)" });
    fireEvent.click(await screen.findByRole("checkbox", { name: `Select ${LAKE.id}` }));
    await screen.findByRole("button", { name: "Replay selected (1)" });
    // Another filter: nothing selected either.
    fireEvent.change(screen.getByLabelText("Stage"), { target: { value: "lake-writer" } });
    await screen.findByRole("button", { name: "Replay selected (0)" });
    expect(
      ((await screen.findByRole("checkbox", { name: `Select ${LAKE.id}` })) as HTMLInputElement).checked,
    ).toBe(false);
  });

  it("says a too-large record's bytes were not kept rather than 0 B", async () => {
    const large = create(DeadLetterSchema, {
      id: "bridge/dlq/0/9",
      stage: "bridge",
      reason: "too_large",
      error: "record of 2009 bytes is over the limit",
      failedAt: timestampFromMs(Date.UTC(2026, 11, 2, 11)),
      rawBytes: 0,
    });
    renderApp(`/dead-letters?open=${encodeURIComponent(large.id)}`, (router) =>
      router.service(AdminService, {
        listDeadLetters: () => ({ deadLetters: [large], nextCursor: "", errors: {} }),
        getDeadLetter: () => ({ deadLetter: large }),
      }),
    );
    const table = await screen.findByRole("table", { name: "Dead letters" });
    expect(within(table).getAllByRole("row")[1]?.textContent).toContain("not kept");
    expect(within(table).queryByText("0 B")).toBeNull();
    const inspector = await screen.findByRole("dialog", { name: "Dead letter" });
    expect(await within(inspector).findByRole("heading", { name: "Raw bytes (not kept)" })).toBeTruthy();
  });

  it("inspects raw bytes: hex, and decoded as an envelope with its payload, or as JSON", async () => {
    const seen = { list: [] as ListDeadLettersRequest[], replay: [] as ReplayDeadLettersRequest[] };
    const { router } = renderApp("/dead-letters", fakeAdmin(seen), { role: "operator" });
    fireEvent.click(await screen.findByRole("button", { name: `Inspect ${BRIDGE.id}` }));
    await waitFor(() => expect(router.state.location.search).toEqual({ open: BRIDGE.id }));
    const inspector = await screen.findByRole("dialog", { name: "Dead letter" });
    expect((await within(inspector).findByTestId("inspector-id")).textContent).toBe(BRIDGE.id);
    expect(within(inspector).getByTestId("hex-dump").textContent).toMatch(/^00000000 {2}0a 24 /);
    const envelope = within(inspector).getByTestId("decoded-Envelope (protobuf)").textContent ?? "";
    expect(JSON.parse(envelope)).toMatchObject({
      eventType: "device.telemetry",
      payload: { deviceId: "press-7", sequence: "3" },
    });

    fireEvent.click(within(inspector).getByRole("button", { name: "Close the inspector" }));
    await waitFor(() =>
      expect(document.activeElement?.getAttribute("aria-label")).toBe(`Inspect ${BRIDGE.id}`),
    );
    fireEvent.click(await screen.findByRole("button", { name: `Inspect ${JSON_DL.id}` }));
    const json = await screen.findByTestId("decoded-JSON");
    expect(JSON.parse(json.textContent ?? "")).toEqual({ device: "x", temp: 21 });
    expect(screen.getByTestId("failed-Envelope (protobuf)")).toBeTruthy();
  });

  it("replays the chosen dead letters after confirmation and shows each result", async () => {
    const seen = { list: [] as ListDeadLettersRequest[], replay: [] as ReplayDeadLettersRequest[] };
    renderApp("/dead-letters", fakeAdmin(seen), { role: "operator" });
    fireEvent.click(await screen.findByRole("checkbox", { name: `Select ${LAKE.id}` }));
    fireEvent.click(screen.getByRole("checkbox", { name: `Select ${JSON_DL.id}` }));
    fireEvent.click(screen.getByRole("button", { name: "Replay selected (2)" }));
    const dialog = await screen.findByRole("dialog", { name: "Replay 2 dead letters?" });
    expect(seen.replay).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole("button", { name: "Replay" }));
    await waitFor(() => expect(seen.replay).toHaveLength(1));
    expect(seen.replay[0]?.ids).toEqual([LAKE.id, JSON_DL.id]);
    const results = await screen.findAllByTestId("replay-result");
    expect(results.map((r) => r.textContent)).toEqual([
      `${LAKE.id}replayedkafka:eda.events/1`,
      `${JSON_DL.id}not replayeda raw datagram is not an envelope`,
    ]);
    expect(screen.getByText("1 of 2 replayed")).toBeTruthy();
  });

  it("cancelling the confirmation replays nothing", async () => {
    const seen = { list: [] as ListDeadLettersRequest[], replay: [] as ReplayDeadLettersRequest[] };
    renderApp("/dead-letters", fakeAdmin(seen), { role: "operator" });
    fireEvent.click(await screen.findByRole("checkbox", { name: `Select ${LAKE.id}` }));
    fireEvent.click(screen.getByRole("button", { name: "Replay selected (1)" }));
    const dialog = await screen.findByRole("dialog", { name: "Replay 1 dead letter?" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.replay).toHaveLength(0);
  });

  it("a viewer cannot replay: the buttons are disabled and say why", async () => {
    const seen = { list: [] as ListDeadLettersRequest[], replay: [] as ReplayDeadLettersRequest[] };
    renderApp(`/dead-letters?open=${encodeURIComponent(LAKE.id)}`, fakeAdmin(seen), { role: "viewer" });
    const bulk = await screen.findByRole("button", { name: /Replay selected/ });
    expect((bulk as HTMLButtonElement).disabled).toBe(true);
    const box = await screen.findByRole("checkbox", { name: `Select ${LAKE.id}` });
    expect((box as HTMLInputElement).disabled).toBe(true);
    const one = await screen.findByRole("button", { name: "Replay this dead letter" });
    expect((one as HTMLButtonElement).disabled).toBe(true);
    const hint = document.getElementById(one.getAttribute("aria-describedby") ?? "");
    expect(hint?.textContent).toContain("needs the operator role");
    expect(seen.replay).toHaveLength(0);
  });

  it("shows the empty and error states", async () => {
    renderApp("/dead-letters", (router) =>
      router.service(AdminService, {
        listDeadLetters: () => ({ deadLetters: [], nextCursor: "", errors: {} }),
      }),
    );
    expect(await screen.findByText("No dead letters")).toBeTruthy();
    cleanup();
    renderApp("/dead-letters", (router) =>
      router.service(AdminService, {
        listDeadLetters: () => {
          throw new ConnectError("lake away", Code.Unavailable);
        },
      }),
    );
    expect((await screen.findByRole("alert", {}, { timeout: 3000 })).textContent).toContain(
      "The API cannot be reached",
    );
  });
});
