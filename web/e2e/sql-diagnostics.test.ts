import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { screenshot, uiTestContext } from "./harness/index.ts";

const EVENTS = 200;
/** Records of the in-browser stress test: small enough for CI, large enough to need batching. */
const STRESS_COUNT = 10_000;

async function runSql(page: Page, sql: string): Promise<void> {
  const editor = page.getByLabel(/^Statement/);
  await editor.fill(sql);
  await editor.press("Control+Enter");
}

/**
 * The SQL console on a lake the real pipeline wrote (read through the admin's QueryService
 * proxy): rows stream into the grid, a bad statement shows its error at its line and column,
 * the history re-runs, an export downloads; and the Diagnostics page's IndexedDB stress test
 * in real Chromium, with its timings and the check after a reload.
 */
describe("web UI: SQL console and diagnostics", () => {
  const web = uiTestContext({ events: EVENTS });

  it("runs a query on the lake and shows its rows, its URL a link, its result exported", async () => {
    const ui = await web.open(web.platform.viewerKey, "/sql");
    const { page } = ui;
    const sql =
      "SELECT partition_key, count(*) AS events\nFROM lake.device_telemetry_v1\nGROUP BY ALL\nORDER BY partition_key";
    await runSql(page, sql);
    const status = page.getByTestId("sql-status");
    await status.filter({ hasText: /^16 rows in \d+ ms$/ }).waitFor();
    const grid = page.getByRole("grid", { name: "Query result" });
    assert.deepEqual(await grid.getByRole("columnheader").allTextContents(), ["partition_key", "events"]);
    // Only the rows in view (and a few beyond) are rendered: a taller window shows all 16 devices.
    await page.setViewportSize({ width: 1366, height: 1100 });
    await grid.locator("[role=row]").nth(16).waitFor();
    const counts = await grid.locator("[role=row] [role=gridcell]:nth-child(2)").allTextContents();
    assert.equal(
      counts.reduce((sum, n) => sum + Number(n), 0),
      EVENTS,
    );
    await page.setViewportSize({ width: 1366, height: 768 });
    assert.equal(new URL(page.url()).searchParams.get("q"), sql, "the statement is in the URL");
    await screenshot(page, "sql-result");
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "sql-result-dark");
    await page.emulateMedia({ colorScheme: "light" });

    // The URL is a link: opened anew, it runs the same statement.
    const link = page.url();
    await page.goto("about:blank");
    await page.goto(link);
    await status.filter({ hasText: /^16 rows in \d+ ms$/ }).waitFor();
    assert.equal(await page.getByLabel(/^Statement/).inputValue(), sql);

    // The whole result as CSV through QueryService.Export.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "CSV" }).click(),
    ]);
    const csv = readFileSync(await download.path(), "utf8")
      .trim()
      .split(/\r?\n/);
    assert.equal(csv[0], "partition_key,events");
    assert.equal(csv.length, 17);

    // A named parameter: asked for beside the editor, sent typed, kept in the URL.
    await page
      .getByLabel(/^Statement/)
      .fill("SELECT count(*) AS n FROM lake.device_telemetry_v1 WHERE partition_key = $device");
    await page.getByLabel("$device").fill("dev-0");
    await page.getByLabel("$device").press("Enter");
    await status.filter({ hasText: /^1 row in \d+ ms$/ }).waitFor();
    assert.equal(await grid.getByRole("gridcell").first().textContent(), counts[0]);
    assert.equal(new URL(page.url()).searchParams.get("p"), JSON.stringify({ device: "dev-0" }));
    await ui.close();
  });

  it("shows a bad statement's error at its place, and keeps the history to run again", async () => {
    const ui = await web.open(web.platform.viewerKey, "/sql");
    const { page } = ui;
    await runSql(page, "SELECT count(*) AS n FROM lake.device_telemetry_v1");
    await page
      .getByTestId("sql-status")
      .filter({ hasText: /^1 row\b/ })
      .waitFor();

    await runSql(page, "SELECT *\n  FORM lake.device_telemetry_v1");
    const alert = page.locator("#sql-error");
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? "", /syntax error at or near/);
    assert.equal(await page.getByTestId("sql-error-location").textContent(), "Line 2, column 8");
    assert.equal(
      await page.getByTestId("sql-error-caret").textContent(),
      "  FORM lake.device_telemetry_v1\n       ^",
    );
    await screenshot(page, "sql-syntax-error");

    await runSql(page, "SELECT nope FROM lake.device_telemetry_v1");
    await page.getByTestId("sql-error-location").filter({ hasText: "Line 1, column 8" }).waitFor();
    assert.match((await alert.textContent()) ?? "", /Binder Error: .*nope/);

    // Newest first; the first statement runs again from the history.
    const history = page.getByTestId("sql-history").locator("li code");
    assert.deepEqual(await history.allTextContents(), [
      "SELECT nope FROM lake.device_telemetry_v1",
      "SELECT *\n  FORM lake.device_telemetry_v1",
      "SELECT count(*) AS n FROM lake.device_telemetry_v1",
    ]);
    await page
      .getByRole("button", { name: "Run again: SELECT count(*) AS n FROM lake.device_telemetry_v1" })
      .click();
    await page
      .getByTestId("sql-status")
      .filter({ hasText: /^1 row\b/ })
      .waitFor();
    assert.equal(
      await page.getByRole("grid", { name: "Query result" }).getByRole("gridcell").first().textContent(),
      String(EVENTS),
    );
    await ui.close();
  });

  it("runs the IndexedDB stress test in Chromium, shows its timings and finds the records after a reload", async () => {
    const ui = await web.open(web.platform.viewerKey, `/diagnostics?count=${STRESS_COUNT}&run=true`);
    const { page } = ui;
    const result = page.getByTestId("stress-result");
    await result.waitFor({ timeout: 120_000 });
    for (const step of ["write", "naiveWrite", "readAll", "rangeQuery", "reopen", "chunkedWrite"]) {
      const ms = (await page.getByTestId(`stress-ms-${step}`).textContent()) ?? "";
      assert.match(ms, /^\d+(\.\d)? ms$/, step);
    }
    const rows = await result.locator("tbody tr td:first-of-type").allTextContents();
    assert.ok(rows.includes("10,000"), `records of each step: ${rows.join(", ")}`);
    assert.match((await page.getByTestId("storage-estimate").textContent()) ?? "", /of /);
    assert.match((await page.getByTestId("api-base-url").textContent()) ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
    await screenshot(page, "diagnostics-stress");
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "diagnostics-stress-dark");

    await page.getByRole("button", { name: "Reload and check" }).click();
    const check = page.getByTestId("reload-check");
    await check.waitFor({ timeout: 30_000 });
    assert.match((await check.textContent()) ?? "", /10,000 of 10,000 records found/);
    await ui.close();
  });
});
