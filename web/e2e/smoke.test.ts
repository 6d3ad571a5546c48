import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  launchBrowser,
  login,
  screenshot,
  startUiPlatform,
  type UiBrowser,
  type UiPlatform,
} from "./harness/index.ts";

/** The built UI, served by a real admin on a written lake, opens and logs in without a browser error. */
describe("web UI smoke", () => {
  let platform: UiPlatform;
  let browser: UiBrowser;

  before(async () => {
    platform = await startUiPlatform({ events: 50 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it("opens the admin, logs in with the viewer key and shows the UI", async () => {
    const ui = await browser.newPage({ baseUrl: platform.adminUrl });
    const response = await ui.page.goto("/");
    assert.equal(response?.status(), 200);
    assert.match(await ui.page.title(), /Langtian/, "index.html of the built UI");
    const who = await login(ui.page, platform.viewerKey);
    assert.deepEqual(who, { name: "ana", role: "viewer" });
    // The app rendered some text once logged in (a string: this file has no DOM types).
    await ui.page.waitForFunction("document.body.innerText.trim().length > 0");
    await ui.page.waitForLoadState("networkidle");
    await screenshot(ui.page, "smoke-logged-in");
    await ui.close();
  });

  it("restarts the admin on the same URL (what offline tests rely on)", async () => {
    await platform.stopAdmin();
    await assert.rejects(fetch(`${platform.adminUrl}/healthz`));
    await platform.startAdmin();
    assert.equal((await fetch(`${platform.adminUrl}/healthz`)).status, 200);
  });
});
