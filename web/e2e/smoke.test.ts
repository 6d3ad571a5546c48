import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { login, screenshot, uiTestContext } from "./harness/index.ts";

/** The built UI, served by a real admin on a written lake, opens and logs in without a browser error. */
describe("web UI smoke", () => {
  const web = uiTestContext({ events: 50 });

  it("opens the admin, refuses a wrong key, logs in through the form and shows who is logged in", async () => {
    const ui = await web.browser.newPage({ baseUrl: web.platform.adminUrl });
    const { page } = ui;
    const response = await page.goto("/services");
    assert.equal(response?.status(), 200);
    assert.match(await page.title(), /Langtian/, "index.html of the built UI");
    // No session: the login form, remembering where the visitor was going.
    const key = page.getByLabel("API key");
    await key.waitFor();
    await screenshot(page, "login");
    assert.match(page.url(), /\/login\?redirect=%2Fservices/);
    await key.fill("not-a-key-of-ours-0123456789");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").waitFor();
    await key.fill(web.platform.viewerKey);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByTestId("user").waitFor();
    assert.equal(await page.getByTestId("user").textContent(), "ana · viewer");
    assert.match(page.url(), /\/services$/, "back where the visitor was going");
    await screenshot(page, "login-then-services");
    // The session is a cookie scripts cannot read.
    assert.equal(await page.evaluate("document.cookie"), "");
    const who = await login(page, web.platform.operatorKey);
    assert.deepEqual(who, { name: "olga", role: "operator" });
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("API key").waitFor();
    await ui.close();
  });

  it("restarts the admin on the same URL (what offline tests rely on)", async () => {
    await web.platform.stopAdmin();
    await assert.rejects(fetch(`${web.platform.adminUrl}/healthz`));
    await web.platform.startAdmin();
    assert.equal((await fetch(`${web.platform.adminUrl}/healthz`)).status, 200);
  });
});
