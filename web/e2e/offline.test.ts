import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { screenshot, uiTestContext, waitForOfflineCache } from "./harness/index.ts";

/** What Chromium logs for every call while the admin is stopped. */
const ADMIN_AWAY = [/ERR_CONNECTION_REFUSED/, /Failed to fetch/, /status of 50\d/];

/**
 * Offline mode, for real: pages browsed while the admin ran are shown again, marked stale with
 * their age, after the admin (which serves the UI and its API) is stopped and the page reloaded
 * (the service worker serves the app shell); with the admin back (and logged in again: sessions
 * live in its memory), the marks go.
 */
describe("web UI offline", () => {
  const web = uiTestContext({ events: 120 });

  it("shows the pages browsed before, marked stale, while the admin is stopped, and fresh once it is back", async () => {
    const ui = await web.open(web.platform.viewerKey);
    const { page } = ui;
    // The service worker takes the app shell: wait until it is active, then load a page it controls.
    assert.equal(await page.evaluate("navigator.serviceWorker.ready.then((r) => r.active !== null)"), true);

    await page.goto("/events");
    const grid = page.getByRole("grid");
    await grid.getByRole("row").nth(1).waitFor();
    // A cell of the first row that is not empty (the event id or time), to find again offline.
    const cells = await grid.getByRole("row").nth(1).getByRole("gridcell").allTextContents();
    const firstRow = cells.find((c) => c.trim().length > 4)?.trim() ?? "";
    assert.notEqual(firstRow, "", "the events page shows rows");
    // The cache writes a moment after each answer; loading another page drops a write still waiting.
    await waitForOfflineCache(page, "ListTables");
    await waitForOfflineCache(page, "Browse");
    await page.goto("/audit");
    await page.getByRole("heading", { name: "Audit" }).waitFor();
    const persisted = await page.evaluate(
      "navigator.storage.persisted ? navigator.storage.persisted() : Promise.resolve(false)",
    );

    await web.platform.stopAdmin();
    ui.allowErrors(...ADMIN_AWAY);
    await page.goto("/events");
    await page.getByTestId("offline-badge").waitFor();
    await page.getByTestId("stale-banner").first().waitFor({ timeout: 30_000 });
    assert.match((await page.getByTestId("stale-banner").first().textContent()) ?? "", /Stale.*old/);
    assert.ok(
      ((await page.getByRole("grid").textContent()) ?? "").includes(firstRow),
      "the cached rows are shown",
    );
    await screenshot(page, "offline-events-stale");

    // Sessions live in the admin's memory: after its restart the UI asks for the key again.
    await web.platform.startAdmin();
    await page.goto("/events");
    await page.getByLabel("API key").fill(web.platform.viewerKey);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("grid").getByRole("row").nth(1).waitFor();
    await page.getByTestId("stale-banner").waitFor({ state: "detached", timeout: 30_000 });
    assert.equal(await page.getByTestId("offline-badge").count(), 0, "online again");
    await ui.close();
    process.stdout.write(`# storage persisted: ${String(persisted)}\n`);
  });
});
