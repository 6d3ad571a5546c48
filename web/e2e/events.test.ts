import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { waitForCommitted } from "@langtian/testing";
import type { Page } from "playwright-core";
import { screenshot, uiTestContext } from "./harness/index.ts";

/** More than two Browse pages (1,000 rows each), so scrolling has to page. */
const EVENTS = 2_500;
const MORE = 40;
/** dev-2 is every 16th event from the third; all of them even, so from plant-a. */
const DEV_2 = Math.ceil((EVENTS - 2) / 16);
/** A count as the page writes it (thousands separators). */
const n = (count: number) => count.toLocaleString("en-US");

/** The grid's status line once it has settled (every page loaded, the count known). */
async function settledStatus(page: Page, pattern: RegExp): Promise<string> {
  const status = page.getByTestId("events-status");
  try {
    await status.filter({ hasText: pattern }).waitFor();
  } catch (err) {
    const shown = await status.textContent({ timeout: 1000 }).catch(() => "(no status line)");
    throw new Error(`the status line never matched ${pattern}: it says ${JSON.stringify(shown)}`, {
      cause: err,
    });
  }
  return (await status.textContent()) ?? "";
}

/** Where the admin says traces are shown (the drawer links there). */
const TRACE_URL = "http://traces.example/trace/{traceId}";

/**
 * The events page on a lake the real pipeline wrote (producer → Kafka → lake writer → query
 * API, read through the admin's proxy): browse and filter, an event's drawer and its lineage,
 * time travel to an earlier snapshot, a CSV export of the whole result.
 */
describe("web UI: events", () => {
  // The deployment's trace viewer: the drawer links each event's trace there.
  const web = uiTestContext({ events: EVENTS, admin: { web: { traceUrl: TRACE_URL } } });

  it("browses and filters the events, every filter in the URL", async () => {
    const ui = await web.open(web.platform.viewerKey, "/events");
    const { page } = ui;
    // The first page: 1,000 of them loaded.
    await settledStatus(page, new RegExp(`^1,000 loaded of ${n(EVENTS)} matching · snapshot #\\d+$`));
    await screenshot(page, "events-list");
    // Scrolling to the end loads the next pages by cursor, until every event is there.
    const scroller = page.getByTestId("events-grid");
    assert.equal(await scroller.count(), 1, "the grid's scroll box is identifiable");
    for (let i = 0; i < 20; i++) {
      // A string (this file has no DOM types): the page scrolls the box as a user would.
      await page.evaluate(
        "(() => { const el = document.querySelector('[data-testid=events-grid]'); el.scrollTop = el.scrollHeight; })()",
      );
      const text = (await page.getByTestId("events-status").textContent()) ?? "";
      if (text.startsWith(`${n(EVENTS)} events`)) break;
      await page.waitForTimeout(250);
    }
    await settledStatus(page, new RegExp(`^${n(EVENTS)} events of ${n(EVENTS)} matching · snapshot #\\d+$`));
    // The oldest event is the last row (newest first).
    const last = page.getByRole("grid").getByRole("row").last();
    assert.match((await last.textContent()) ?? "", /2026-11-27 \d\d:00:00\.000/);
    const header = await page.getByRole("columnheader").allTextContents();
    assert.deepEqual(header.slice(0, 5), [
      "event_timestamp",
      "event_type",
      "source_system",
      "partition_key",
      "event_id",
    ]);

    const form = page.getByRole("form", { name: "Event filters" });
    await form.getByLabel("Source").fill("plant-a");
    await form.getByRole("button", { name: "+ Field filter" }).click();
    await form.getByLabel("Field", { exact: true }).fill("device_id");
    await form.getByLabel("equals").fill("dev-2");
    await form.getByRole("button", { name: "Apply" }).click();
    await settledStatus(page, new RegExp(`^${DEV_2} events of ${DEV_2} matching`));
    const url = new URL(page.url());
    assert.equal(url.searchParams.get("source"), "plant-a");
    assert.equal(url.searchParams.get("where"), '["device_id=dev-2"]');
    const sources = await page.getByRole("grid").getByRole("row").allTextContents();
    assert.ok(sources.slice(1).every((row) => row.includes("plant-a") && row.includes("dev-2")));

    // The link is the view: opened afresh, it shows the same rows.
    await page.goto(url.pathname + url.search);
    await settledStatus(page, new RegExp(`^${DEV_2} events of ${DEV_2} matching`));

    await form.getByLabel("Type").fill("no.such.type");
    await form.getByRole("button", { name: "Apply" }).click();
    await page.getByText("No events match").waitFor();
    assert.match(
      (await page.getByTestId("empty-filters").textContent()) ?? "",
      /type = no\.such\.type, source = plant-a, device_id = dev-2/,
    );
    await ui.close();
  });

  it("opens an event over the list with its lineage; Escape closes it; a link opens it directly", async () => {
    const ui = await web.open(web.platform.viewerKey, "/events");
    const { page } = ui;
    await settledStatus(page, /of [\d,]+ matching/);
    const grid = page.getByRole("grid");
    await grid.getByRole("row").nth(1).click();
    const drawer = page.getByRole("dialog");
    await drawer.getByTestId("lineage").waitFor();
    const path = new URL(page.url()).pathname;
    const id = path.split("/").at(-1) ?? "";
    assert.match(id, /^[0-9a-f-]{36}$/);
    const lineage = (await drawer.getByTestId("lineage").textContent()) ?? "";
    assert.match(lineage, /Device time/);
    assert.match(lineage, /Received/);
    assert.match(
      lineage,
      new RegExp(`Kafka offset.*kafka:${web.platform.lake.topic} · partition \\d · offset \\d+`),
    );
    assert.match(lineage, /Committed in snapshot #\d+/);
    assert.match((await drawer.textContent()) ?? "", /device_id/);
    // Its trace: the id the lake row keeps, linked to the trace viewer.
    const trace = drawer.getByTestId("event-trace");
    const traceId = /Trace ([0-9a-f]{32})/.exec((await trace.textContent()) ?? "")?.[1];
    assert.ok(traceId, "the drawer shows the event's trace id");
    assert.equal(
      await trace.getByRole("link", { name: "Open the trace" }).getAttribute("href"),
      TRACE_URL.replace("{traceId}", traceId),
    );
    // The list stays visible beside the drawer.
    assert.ok(await grid.isVisible());
    await screenshot(page, "events-drawer");
    await page.getByLabel("Theme").selectOption("dark");
    await screenshot(page, "events-drawer-dark");

    await page.keyboard.press("Escape");
    await page.waitForURL((u) => u.pathname === "/events");
    assert.equal(await page.getByRole("dialog").count(), 0);
    assert.equal(await page.evaluate("document.activeElement?.getAttribute('role')"), "grid");

    // Keyboard: Down then Enter opens the second row.
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.pathname.startsWith("/events/") && !u.pathname.endsWith(id));
    await page.getByRole("dialog").getByTestId("lineage").waitFor();

    await page.goto(`/events/${id}`);
    await page
      .getByRole("dialog", { name: `Event ${id}` })
      .getByTestId("lineage")
      .waitFor();
    await page.getByRole("grid").waitFor();
    await ui.close();
  });

  it("travels back to an earlier snapshot (fewer rows) and exports its whole result as CSV", async () => {
    const ui = await web.open(web.platform.viewerKey, "/events");
    const { page } = ui;
    const before = await settledStatus(page, new RegExp(`^1,000 loaded of ${n(EVENTS)} matching`));
    const earlier = Number(/snapshot #(\d+)/.exec(before)?.[1]);
    assert.ok(earlier > 0);

    await web.platform.lake.produce(MORE);
    await waitForCommitted(web.platform.lake.writer, EVENTS + MORE);
    // Refresh reads the latest snapshot again.
    await page.getByRole("button", { name: "Refresh" }).click();
    const now = await settledStatus(page, new RegExp(`^1,000 loaded of ${n(EVENTS + MORE)} matching`));
    assert.ok(Number(/snapshot #(\d+)/.exec(now)?.[1]) > earlier);

    await page.getByLabel("Snapshot").selectOption(String(earlier));
    await settledStatus(
      page,
      new RegExp(`^1,000 loaded of ${n(EVENTS)} matching · snapshot #${earlier} \\(time travel\\)`),
    );
    assert.equal(new URL(page.url()).searchParams.get("snapshot"), String(earlier));

    await page.getByLabel("Export format").selectOption({ label: "CSV" });
    await page.getByRole("button", { name: "Export", exact: true }).click();
    const link = page.getByTestId("export-download");
    await link.waitFor({ timeout: 60_000 });
    assert.match((await link.textContent()) ?? "", new RegExp(`^Download CSV \\(.+, ${n(EVENTS)} rows\\)$`));
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const text = readFileSync(await download.path(), "utf8");
    const lines = text.split("\n").filter((line) => line !== "");
    assert.match(lines[0] ?? "", /^event_id,/);
    assert.equal(lines.length - 1, EVENTS, "the file holds every event of the earlier snapshot");
    await screenshot(page, "events-time-travel-export");
    await ui.close();
  });
});
