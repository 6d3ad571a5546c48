import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { createDeviceEnvelope, encodeEnvelope } from "@langtian/envelope";
import { TelemetrySchema } from "@langtian/proto";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { screenshot, type UiBridge, uiTestContext } from "./harness/index.ts";

/** A telemetry envelope of device `dev-<i % 8>`, sequence i (its payload decodes to JSON). */
function telemetry(i: number): Uint8Array {
  return encodeEnvelope(
    createDeviceEnvelope({
      sourceSystem: "plant-e2e",
      eventTime: new Date(),
      receivedTime: new Date(),
      payload: {
        kind: "telemetry",
        message: create(TelemetrySchema, {
          deviceId: `dev-${i % 8}`,
          sequence: BigInt(i),
          readings: [{ metric: "temp", value: { case: "doubleValue", value: 20 + (i % 5) }, unit: "C" }],
        }),
      },
    }),
  );
}

/** Publishes a few telemetry events a second into the bridge's stream until stopped: traffic to watch. */
function startTraffic(nc: NatsConnection, bridge: UiBridge) {
  const js = jetstream(nc);
  let running = true;
  let sent = 0;
  const done = (async () => {
    while (running) {
      const i = sent++;
      await js.publish(`${bridge.subjectPrefix}.device.telemetry`, telemetry(i)).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    sent: () => sent,
    async stop() {
      running = false;
      await done;
    },
  };
}

/**
 * The operations pages against real services: the overview's graph healthy while events flow
 * through a real bridge and lake writer, the live tail of the bridge's stream, a viewer who
 * cannot drain, and an operator who drains the running bridge — refused as the last ready
 * bridge, then forced after the second confirmation — and watches it to drained.
 */
describe("web UI operations: overview, services and drain, live tail", () => {
  let bridge: UiBridge;
  let nc: NatsConnection;
  let traffic: ReturnType<typeof startTraffic>;
  const web = uiTestContext({
    events: 100,
    bridge: true,
    setUp: async (platform) => {
      assert.ok(platform.bridge, "the harness started a bridge");
      bridge = platform.bridge;
      nc = await connect({ servers: platform.natsUrl });
      traffic = startTraffic(nc, bridge);
    },
    tearDown: async () => {
      await traffic?.stop();
      await nc?.close();
    },
  });

  it("shows the running services healthy on the overview, with charts filling in", async () => {
    const ui = await web.open(web.platform.viewerKey, "/");
    const { page } = ui;
    const graph = page.getByRole("list", { name: /Pipeline/ });
    await graph.waitFor();
    for (const id of ["bridge", "lake-writer", "nats", "kafka"])
      await page.locator(`[data-testid="node-${id}"][data-health="ok"]`).waitFor({ timeout: 30_000 });
    // No collector in this deployment: said so, not shown as broken.
    assert.equal(await page.getByTestId("node-collector").getAttribute("data-health"), "unknown");
    assert.match((await page.getByTestId("node-collector").textContent()) ?? "", /not in the deployment/);
    assert.notEqual(await page.getByTestId("node-lake").getAttribute("data-health"), "bad");
    await page.getByTestId("stream-status").filter({ hasText: /^Live/ }).waitFor({ timeout: 15_000 });
    // The bridge moves the traffic: its rate shows once two reads of its metrics exist.
    // (A string: this file has no DOM types.) "Out /s" followed by anything but a bare 0.
    await page.waitForFunction(
      String.raw`/Out \/s(?!0(?![.\d]))/.test(document.querySelector('[data-testid="node-bridge"]')?.textContent ?? "")`,
      undefined,
      { timeout: 30_000 },
    );
    // A few samples for the charts.
    await page.waitForTimeout(6_000);
    const chart = page.getByRole("img", { name: /^Throughput/ });
    assert.match((await chart.getAttribute("aria-label")) ?? "", /Bridge out [\d.]+k?, highest/);
    await screenshot(page, "operations-overview");
    // Dark theme too.
    await page.getByLabel("Theme").selectOption("dark");
    await screenshot(page, "operations-overview-dark");
    await page.getByLabel("Theme").selectOption("system");
    await ui.close();
  });

  it("lets a viewer see Drain disabled, and why", async () => {
    const ui = await web.open(web.platform.viewerKey, "/services");
    const { page } = ui;
    const drain = page.getByRole("button", { name: "Drain bridge-1" });
    await drain.waitFor();
    assert.equal(await drain.isDisabled(), true);
    assert.match(
      (await page.getByRole("note").textContent()) ?? "",
      /Draining needs the operator role; you are logged in as a viewer/,
    );
    assert.match((await page.getByTestId("instance-bridge-1").textContent()) ?? "", /healthy.*running/);
    await ui.close();
  });

  it("follows the bridge's stream live, decoded, and pauses", async () => {
    const ui = await web.open(
      web.platform.viewerKey,
      `/live?subject=${encodeURIComponent(`${bridge.subjectPrefix}.>`)}&rate=5`,
    );
    const { page } = ui;
    const rows = page.getByTestId("tail-row");
    await rows.nth(2).waitFor({ timeout: 30_000 });
    assert.match((await rows.first().textContent()) ?? "", /device\.telemetry.*plant-e2e/);
    // 10 events a second against at most 5 shown: the rest are counted as skipped.
    await page
      .getByTestId("tail-skipped")
      .filter({ hasText: /^[1-9][\d,]* skipped/ })
      .waitFor({ timeout: 15_000 });
    await rows.first().getByRole("button", { name: /Show/ }).click();
    const payload = page.getByRole("region", { name: "Payload (JSON)" });
    assert.match((await payload.textContent()) ?? "", /"deviceId": "dev-\d"/);
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByTestId("tail-indicator").filter({ hasText: "Paused" }).waitFor();
    const shown = await rows.count();
    await page.waitForTimeout(1_500);
    assert.equal(await rows.count(), shown, "nothing is added while paused");
    await screenshot(page, "operations-live");
    await ui.close();
  });

  it("drains the running bridge as an operator: refused as the last ready bridge, forced, followed to drained", async () => {
    const ui = await web.open(web.platform.operatorKey, "/services");
    const { page } = ui;
    await page.getByTestId("instance-bridge-1").filter({ hasText: "healthy" }).waitFor({ timeout: 15_000 });
    await screenshot(page, "operations-services");

    await page.getByRole("button", { name: "Drain bridge-1" }).click();
    const confirm = page.getByRole("dialog", { name: "Drain bridge-1?" });
    await confirm.getByRole("button", { name: "Drain", exact: true }).click();
    // The only bridge: the admin refuses unless forced.
    const refusal = page.getByRole("alert");
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? "", /bridge-1 is the last ready bridge instance/);
    await page.getByRole("button", { name: "Force drain…" }).click();
    const force = page.getByRole("dialog", { name: "Force the drain of bridge-1?" });
    await force.getByRole("button", { name: "Force drain" }).click();

    const log = page.getByRole("log", { name: "Drain progress" });
    await log.getByText("drain of bridge-1 requested").waitFor({ timeout: 15_000 });
    await page
      .getByTestId("drain-outcome")
      .filter({ hasText: /^Done: drained/ })
      .waitFor({ timeout: 90_000 });
    assert.match((await log.textContent()) ?? "", /drained/);
    // The overview stream shows the bridge drained in the table.
    await page
      .getByTestId("instance-bridge-1")
      .filter({ hasText: /drained/ })
      .waitFor({ timeout: 15_000 });
    assert.equal(await page.getByRole("button", { name: "Drain bridge-1" }).isDisabled(), true);
    await screenshot(page, "operations-drain");

    // The overview now shows the bridge stage down (no ready bridge).
    await page.goto("/");
    await page.locator('[data-testid="node-bridge"][data-health="bad"]').waitFor({ timeout: 15_000 });
    await ui.close();
  });
});
