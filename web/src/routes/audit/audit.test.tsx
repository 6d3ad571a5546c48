import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { AdminService, type AuditEntry, AuditEntrySchema, type ListAuditRequest } from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app.tsx";

afterEach(cleanup);

const ACTIONS = ["ReplayDeadLetters", "SetConnectorConfig", "DrainInstance"];

/** 250 entries, sequence 1 oldest: actors alternate, actions cycle, pairs requested then ok. */
const LOG: AuditEntry[] = Array.from({ length: 250 }, (_, i) => {
  const sequence = i + 1;
  return create(AuditEntrySchema, {
    sequence: BigInt(sequence),
    time: timestampFromMs(Date.UTC(2026, 11, 2, 12) + sequence * 1000),
    actor: Math.floor(i / 2) % 2 === 0 ? "olga" : "ops-bot",
    action: ACTIONS[Math.floor(i / 2) % 3] as string,
    target: "langtian_connector_config/bridge",
    // Both entries of an action carry its request.
    request: JSON.stringify({ ids: [`id-${i - (i % 2) + 1}`] }),
    result: i % 2 === 0 ? "requested" : sequence === 250 ? "permission_denied" : "ok",
    detail: i % 2 === 0 ? "" : `done ${sequence}`,
  });
});

/** The admin's ListAudit over {@link LOG}: newest first, older than before_sequence. */
function fakeAdmin(seen: ListAuditRequest[]) {
  return (router: ConnectRouter) =>
    router.service(AdminService, {
      listAudit(req) {
        seen.push(req);
        const last = req.beforeSequence > 0n ? Number(req.beforeSequence) - 1 : LOG.length;
        const first = Math.max(1, last - (req.limit || 100) + 1);
        return { entries: LOG.slice(first - 1, last).reverse() };
      },
    });
}

const sequences = () =>
  within(screen.getByRole("table", { name: "Audit entries" }))
    .getAllByTestId("audit-entry")
    .map((r) => Number(r.firstElementChild?.textContent));

describe("audit", () => {
  it("lists who did what newest first, one row per action with its result and the request", async () => {
    const seen: ListAuditRequest[] = [];
    renderApp("/audit", fakeAdmin(seen));
    const table = await screen.findByRole("table", { name: "Audit entries" });
    // 100 entries: 50 actions, each its request and its result.
    expect(sequences()).toHaveLength(50);
    expect(sequences()[0]).toBe(249);
    const newest = within(table).getAllByTestId("audit-entry")[0] as HTMLElement;
    expect(within(newest).getByText("permission_denied")).toBeTruthy();
    expect(within(newest).getByText("olga")).toBeTruthy();
    expect(within(newest).getByText("done 250")).toBeTruthy();
    expect(within(newest).getByText(/"id-249"/)).toBeTruthy();
    expect(within(table).queryByText("requested")).toBeNull();
    expect(screen.getByText(/50 actions from 100 entries/)).toBeTruthy();
    expect(seen[0]).toMatchObject({ limit: 100, beforeSequence: 0n });
  });

  it("shows an action without a result as in progress, and a result whose request is older on its own", async () => {
    const entry = (sequence: number, actor: string, result: string) =>
      create(AuditEntrySchema, {
        sequence: BigInt(sequence),
        time: timestampFromMs(Date.UTC(2026, 11, 2, 12) + sequence * 1000),
        actor,
        action: "DrainInstance",
        target: "bridge-1",
        request: "{}",
        result,
      });
    // Newest first: ana's drain has no result yet; olga's drains: one done, one whose request
    // is older than this page.
    const entries = [
      entry(14, "ana", "requested"),
      entry(13, "olga", "ok"),
      entry(12, "olga", "requested"),
      entry(11, "olga", "unavailable"),
    ];
    renderApp("/audit", (router) => router.service(AdminService, { listAudit: () => ({ entries }) }));
    await screen.findByRole("table", { name: "Audit entries" });
    const rows = within(screen.getByRole("table", { name: "Audit entries" })).getAllByTestId("audit-entry");
    expect(rows.map((r) => [r.firstElementChild?.textContent, r.lastElementChild?.textContent])).toEqual([
      ["14", "in progress / no result"],
      ["12", "ok"],
      ["11", "unavailable"],
    ]);
  });

  it("pages to older and newer entries with beforeSequence in the URL, and back to the newest", async () => {
    const seen: ListAuditRequest[] = [];
    const { router } = renderApp("/audit", fakeAdmin(seen));
    await screen.findByRole("table", { name: "Audit entries" });
    const button = (name: string) => screen.getByRole("button", { name }) as HTMLButtonElement;
    expect(button("Newer").disabled).toBe(true);
    fireEvent.click(button("Older"));
    await waitFor(() => expect(router.state.location.search).toEqual({ before: 151 }));
    await waitFor(() => expect(sequences()[0]).toBe(149));
    expect(seen.at(-1)?.beforeSequence).toBe(151n);
    fireEvent.click(button("Older"));
    await waitFor(() => expect(router.state.location.search).toEqual({ before: 51, newer: [151] }));
    await waitFor(() => expect(sequences()[0]).toBe(49));
    expect(sequences().at(-1)).toBe(1);
    expect(button("Older").disabled).toBe(true);
    fireEvent.click(button("Newer"));
    await waitFor(() => expect(router.state.location.search).toEqual({ before: 151 }));
    await waitFor(() => expect(sequences()[0]).toBe(149));
    fireEvent.click(button("Older"));
    await waitFor(() => expect(sequences()[0]).toBe(49));
    fireEvent.click(button("Newest"));
    await waitFor(() => expect(router.state.location.search).toEqual({}));
    await waitFor(() => expect(sequences()[0]).toBe(249));
    expect(button("Newer").disabled).toBe(true);
  });

  it("filters by actor and action from the URL", async () => {
    const seen: ListAuditRequest[] = [];
    const { router } = renderApp("/audit?actor=olga&action=SetConnectorConfig", fakeAdmin(seen));
    await screen.findByRole("table", { name: "Audit entries" });
    const rows = within(screen.getByRole("table", { name: "Audit entries" })).getAllByTestId("audit-entry");
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.textContent).toContain("olga");
      expect(row.textContent).toContain("SetConnectorConfig");
    }
    // A filtered view reads a larger page.
    expect(seen.at(-1)?.limit).toBe(1000);
    fireEvent.change(screen.getByLabelText("Action"), { target: { value: "DrainInstance" } });
    await waitFor(() =>
      expect(router.state.location.search).toEqual({ actor: "olga", action: "DrainInstance" }),
    );
    for (const row of within(screen.getByRole("table", { name: "Audit entries" })).getAllByTestId(
      "audit-entry",
    ))
      expect(row.textContent).toContain("DrainInstance");
    fireEvent.change(screen.getByLabelText("Actor"), { target: { value: "nobody" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(await screen.findByText("No entries match")).toBeTruthy();
  });

  it("shows the empty state", async () => {
    renderApp("/audit", (router) => router.service(AdminService, { listAudit: () => ({ entries: [] }) }));
    expect(await screen.findByText("No audit entries")).toBeTruthy();
  });
});
