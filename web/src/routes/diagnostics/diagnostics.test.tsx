import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { reopenCheck, runIndexedDbStress } from "../../diagnostics/indexeddb-stress.ts";
import { openOfflineCache } from "../../offline/offline-cache.ts";
import { renderApp } from "../../testing/render-app.tsx";

afterEach(cleanup);

describe("the IndexedDB stress module (fake-indexeddb)", () => {
  it("writes, reads back, queries the index and reopens, beside the naive loop", async () => {
    const steps: string[] = [];
    const result = await runIndexedDbStress({
      count: 2_000,
      batchSize: 500,
      dbName: "stress-unit",
      onStep: (s) => steps.push(s),
    });
    expect(steps).toEqual([
      "write",
      "naiveWrite",
      "readAll",
      "rangeQuery",
      "chunkedWrite",
      "chunkedReadAll",
      "chunkedRangeQuery",
      "reopen",
    ]);
    expect(result.write).toMatchObject({ records: 2_000, transactions: 4 });
    expect(result.naiveWrite).toMatchObject({ records: 2_000, transactions: 2 });
    expect(result.readAll.records).toBe(2_000);
    expect(result.rangeQuery.records).toBe(200);
    expect(result.reopen.records).toBe(2_000);
    expect(result.chunked?.write).toMatchObject({ records: 2_000, transactions: 1 });
    expect(result.chunked?.readAll.records).toBe(2_000);
    expect(result.chunked?.rangeQuery.records).toBe(200);
    expect(result.speedup).toBeGreaterThan(0);
    // Kept for a check after a reload.
    expect((await reopenCheck({ dbName: "stress-unit" })).records).toBe(2_000);
  });

  it("skips the naive loop when asked", async () => {
    const result = await runIndexedDbStress({ count: 300, naiveCount: 0, dbName: "stress-unit-2" });
    expect(result.naiveWrite).toBeUndefined();
    expect(result.speedup).toBeUndefined();
    expect(result.write.transactions).toBe(1);
  });
});

describe("the Diagnostics page", () => {
  it("runs the stress test of a link's count and shows each step's time", async () => {
    renderApp("/diagnostics?count=1000&run=true", () => {});
    const result = await screen.findByTestId("stress-result", {}, { timeout: 10_000 });
    for (const step of ["write", "naiveWrite", "readAll", "rangeQuery", "reopen", "chunkedWrite"])
      expect(screen.getByTestId(`stress-ms-${step}`).textContent).toMatch(/\d+(\.\d)? ms/);
    expect(result.textContent).toContain("1,000");
    expect(result.textContent).toMatch(/× the naive loop/);
  });

  it("counts the records again after a reload asked with Reload and check", async () => {
    await runIndexedDbStress({ count: 500, naiveCount: 0 });
    sessionStorage.setItem(
      "langtian.diagnostics.reloadCheck",
      JSON.stringify({ expected: 500, reloadedAtMs: Date.now() }),
    );
    renderApp("/diagnostics", () => {});
    const check = await screen.findByTestId("reload-check");
    expect(check.textContent).toContain("500 of 500 records found");
    expect(sessionStorage.getItem("langtian.diagnostics.reloadCheck")).toBeNull();
  });

  it("shows the API address and mode, and offers no cache clearing without a cache", async () => {
    renderApp("/diagnostics", () => {});
    await waitFor(() => expect(screen.getByTestId("api-base-url").textContent).toMatch(/^http/));
    expect(screen.getByTestId("api-mode").textContent).toContain("same origin");
    expect(screen.getByTestId("offline-cache-usage").textContent).toContain("not available");
    expect(screen.queryByRole("button", { name: "Clear offline cache" })).toBeNull();
  });

  it("shows the offline cache's usage and clears it", async () => {
    const offlineCache = await openOfflineCache({ dbName: "diagnostics-cache", writeDelayMs: 0 });
    const { context } = renderApp("/diagnostics", () => {}, { offlineCache });
    offlineCache.attach(context.queryClient);
    await context.queryClient.fetchQuery({
      queryKey: ["cached", 1],
      queryFn: async () => ({ rows: [1, 2, 3] }),
    });
    await waitFor(async () => expect((await offlineCache.usage()).entries).toBe(1));
    fireEvent.click(screen.getByRole("button", { name: "Refresh figures" }));
    await waitFor(() => expect(screen.getByTestId("offline-cache-usage").textContent).toContain("1 queries"));
    fireEvent.click(screen.getByRole("button", { name: "Clear offline cache" }));
    await waitFor(() => expect(screen.getByTestId("offline-cache-usage").textContent).toContain("0 queries"));
    expect((await offlineCache.usage()).entries).toBe(0);
    offlineCache.close();
  });

  it("says so when the test data cannot be deleted (no unhandled rejection)", async () => {
    const refuse = vi.spyOn(indexedDB, "deleteDatabase").mockImplementation(() => {
      throw new DOMException("The database is open in another tab", "InvalidStateError");
    });
    try {
      renderApp("/diagnostics", () => {});
      fireEvent.click(await screen.findByRole("button", { name: "Delete test data" }));
      const alert = await screen.findByTestId("stress-delete-error");
      expect(alert.textContent).toContain("could not be deleted");
      expect(alert.textContent).toContain("open in another tab");
    } finally {
      refuse.mockRestore();
    }
  });

  it("shows a synthetic grid for the scrolling check from the URL", async () => {
    renderApp("/diagnostics", () => {});
    fireEvent.click(await screen.findByRole("link", { name: /Grid scrolling check/ }));
    expect(await screen.findByRole("grid", { name: "100,000 synthetic events" })).toBeTruthy();
  });
});
