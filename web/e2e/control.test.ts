import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { createEnvelope, encodeEnvelope, eventHeaderEntries, uuidv7 } from "@langtian/envelope";
import { type NodeService, startNodeService, sumMetric, uniqueName, waitFor } from "@langtian/testing";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import type { Page } from "playwright-core";
import { deleteStreams, screenshot, TEST_STREAM_MAX_BYTES, uiTestContext } from "./harness/index.ts";

const BRIDGE_MAIN = resolve(import.meta.dirname, "../../services/bridge/src/provision-and-run.ts");

/** Dead-letters the rows of the dead letters page show, once the admin lists at least `count`. */
async function waitForDeadLetters(page: Page, count: number) {
  const rows = page.getByRole("table", { name: "Dead letters" }).locator("tbody tr");
  await waitFor(
    async () => {
      if ((await rows.count()) >= count) return true;
      // The list is read on demand: ask again.
      const refresh = page.getByRole("button", { name: "Refresh" });
      if (await refresh.isEnabled()) await refresh.click();
      return undefined;
    },
    { what: `${count} dead letters on the page`, timeoutMs: 60_000, intervalMs: 1_000 },
  );
  return rows;
}

/**
 * The control pages against real services: a bridge of this test, watching the shared connector
 * configuration of its own bucket, dead-letters two messages — bytes that are no envelope, and an
 * event larger than its record limit (1 KiB). A viewer sees every change disabled and a forced
 * call refused; an operator raises the limit through the configuration page (checked as typed,
 * saved, in the history, applied by the bridge), replays both dead letters and sees the large
 * event land in the lake (its table appears on the schemas page) while the undecodable one is
 * dead-lettered again; the audit page shows those actions.
 */
describe("web UI control: dead letters, configuration, schemas, audit", () => {
  let bridge: NodeService;
  let nc: NatsConnection;
  const base = uniqueName("uictl");
  const stream = base.toUpperCase().replace(/[^A-Z0-9_-]/g, "_");
  const prefix = `uictl.${base.replace(/[^a-z0-9]/gi, "")}`;
  const deadLetterTopic = `${base}.bridge-dead-letter`;
  const bucket = `${base.replace(/[^A-Za-z0-9_-]/g, "_")}_cfg`;
  const largeEventId = uuidv7();

  const web = uiTestContext({
    events: 50,
    admin: {
      nats: { streams: [stream] },
      deadLetters: { bridgeTopic: deadLetterTopic },
      connectorConfig: { bucket },
    },
    setUp: async (platform) => {
      bridge = await startNodeService({
        name: "bridge",
        script: BRIDGE_MAIN,
        env: {
          LANGTIAN_BRIDGE_PORT: "0",
          LANGTIAN_BRIDGE_LOG_LEVEL: "info",
          LANGTIAN_BRIDGE_NATS_URL: platform.natsUrl,
          LANGTIAN_BRIDGE_NATS_STREAM: stream,
          LANGTIAN_BRIDGE_NATS_STREAM_SUBJECTS: `${prefix}.>`,
          LANGTIAN_BRIDGE_NATS_DURABLE: `bridge_${stream}`,
          LANGTIAN_BRIDGE_NATS_FETCH_EXPIRES_MS: "2000",
          LANGTIAN_BRIDGE_NATS_STREAM_MAX_BYTES: String(TEST_STREAM_MAX_BYTES),
          LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: platform.kafkaBootstrap,
          LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "2",
          LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: platform.lake.topic,
          LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: deadLetterTopic,
          LANGTIAN_BRIDGE_PIPELINE_MAX_RECORD_BYTES: "1024",
          LANGTIAN_BRIDGE_PIPELINE_POISON_MAX_DELIVERIES: "1",
          LANGTIAN_BRIDGE_PIPELINE_BACKOFF_INITIAL_MS: "100",
          LANGTIAN_BRIDGE_PIPELINE_BACKOFF_MAX_MS: "1000",
          LANGTIAN_BRIDGE_CONNECTOR_CONFIG_BUCKET: bucket,
        },
        logFile: join(platform.dir, "control-bridge.log"),
        readyTimeoutMs: 120_000,
      });
      nc = await connect({ servers: platform.natsUrl });
      const js = jetstream(nc);
      // Bytes that are no envelope (JSON): the bridge dead-letters them with their value.
      await js.publish(`${prefix}.ui.raw`, new TextEncoder().encode('{"not":"an envelope","n":1}'));
      // An event over the bridge's 1 KiB record limit: dead-lettered without its value.
      const envelope = createEnvelope({
        eventId: largeEventId,
        eventType: "ui.replay",
        schemaVersion: "1.0",
        sourceSystem: "plant-ui",
        partitionKey: "dev-ui",
        payloadType: "application/octet-stream",
        payload: new Uint8Array(1500).fill(7),
      });
      const h = natsHeaders();
      for (const [name, value] of eventHeaderEntries(envelope) ?? []) h.set(name, value);
      h.set("Nats-Msg-Id", largeEventId);
      await js.publish(`${prefix}.ui.replay`, encodeEnvelope(envelope), { headers: h });
    },
    tearDown: async () => {
      await nc?.close();
      await bridge?.process.kill();
      await deleteStreams(web.platform.natsUrl, [stream]);
    },
  });

  it("a viewer inspects a dead letter and sees every change disabled; a forced call is refused", async () => {
    const ui = await web.open(web.platform.viewerKey, "/dead-letters?stage=bridge");
    const { page } = ui;
    const rows = await waitForDeadLetters(page, 2);
    assert.equal(await page.getByRole("button", { name: /^Replay selected/ }).isDisabled(), true);
    assert.match(
      (await page.locator("#replay-viewer-hint").textContent()) ?? "",
      /Replaying needs the operator role; you are logged in as a viewer/,
    );
    assert.equal(await rows.first().getByRole("checkbox").isDisabled(), true);

    // The undecodable one: its bytes as hex, as UTF-8 and as JSON; not an envelope.
    await rows
      .filter({ hasNotText: "too-large" })
      .getByRole("button", { name: /^Inspect / })
      .click();
    const inspector = page.getByRole("dialog", { name: "Dead letter" });
    await inspector.getByTestId("hex-dump").waitFor();
    assert.match(
      (await inspector.getByTestId("hex-dump").textContent()) ?? "",
      /^00000000 {2}7b 22 6e 6f 74 22/,
    );
    assert.deepEqual(JSON.parse((await inspector.getByTestId("decoded-JSON").textContent()) ?? ""), {
      not: "an envelope",
      n: 1,
    });
    // Folded away (a failed attempt is closed), but there.
    await inspector.getByTestId("failed-Envelope (protobuf)").waitFor({ state: "attached" });
    assert.equal(await inspector.getByRole("button", { name: "Replay this dead letter" }).isDisabled(), true);
    assert.match(new URL(page.url()).search, /[?&]open=bridge/);
    await screenshot(page, "control-dead-letters-inspect");
    await page.keyboard.press("Escape");
    await inspector.waitFor({ state: "detached" });

    await page.goto("/config");
    const save = page.getByRole("button", { name: "Save as a new revision" });
    await save.waitFor();
    assert.equal(await save.isDisabled(), true);
    assert.match(
      (await page.locator("#config-viewer-hint").textContent()) ?? "",
      /Saving needs the operator role/,
    );

    // Around the UI, with the viewer's own session: the admin refuses both changes.
    ui.allowErrors(/status of 403/);
    const id = "bridge/none/0/0";
    const statuses = await page.evaluate(
      `Promise.all([
        ["ReplayDeadLetters", { ids: [${JSON.stringify(id)}] }],
        ["SetConnectorConfig", { value: "{}" }],
      ].map(([method, body]) =>
        fetch("/langtian.admin.v1.AdminService/" + method, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then(async (r) => [r.status, (await r.json()).code])))`,
    );
    assert.deepEqual(statuses, [
      [403, "permission_denied"],
      [403, "permission_denied"],
    ]);
    await ui.close();
  });

  let written = 0;

  it("an operator raises the bridge's record limit in the shared configuration: checked as typed, saved, in the history", async () => {
    const ui = await web.open(web.platform.operatorKey, "/config");
    const { page } = ui;
    const editor = page.getByLabel(/Value \(JSON\)/);
    await editor.waitFor();
    await editor.fill('{"topics": {"rules": []}}');
    const problems = page.getByTestId("config-problems");
    await problems.waitFor();
    assert.match((await problems.textContent()) ?? "", /defaultTopic/);
    assert.equal(await editor.getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByRole("button", { name: "Save as a new revision" }).isDisabled(), true);

    const value = {
      topics: {
        rules: [`${prefix}.>=${web.platform.lake.topic}`],
        defaultTopic: web.platform.lake.topic,
        deadLetterTopic,
      },
      pipeline: { maxRecordBytes: 1_000_000 },
    };
    await editor.fill(JSON.stringify(value, null, 2));
    await page.getByRole("table", { name: "Changes against the running revision" }).waitFor();
    const routing = page.getByRole("table", { name: "Routing of the sample subjects" });
    await routing.waitFor();
    await screenshot(page, "control-config-edit");
    const save = page.getByRole("button", { name: "Save as a new revision" });
    await waitFor(async () => ((await save.isEnabled()) ? true : undefined), {
      what: "Save to be enabled once the value is checked",
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    await save.click();
    await page
      .getByRole("dialog", { name: "Save the configuration?" })
      .getByRole("button", { name: "Save" })
      .click();
    const status = page.getByRole("status").filter({ hasText: /Revision \d+ written/ });
    await status.waitFor();
    written = Number(/Revision (\d+) written/.exec((await status.textContent()) ?? "")?.[1]);
    assert.ok(written > 0);

    await page.getByRole("link", { name: "History" }).click();
    const newest = page.getByRole("table", { name: "Revisions" }).getByTestId("revision").first();
    await newest.waitFor();
    assert.match((await newest.textContent()) ?? "", new RegExp(`^${written}.*running`));
    assert.match(new URL(page.url()).search, /view=history/);
    await screenshot(page, "control-config-history");
    assert.equal(await page.getByRole("link", { name: "Edit" }).getAttribute("aria-current"), null);
    await page.getByLabel("Theme").selectOption("dark");
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel(/Value \(JSON\)/).waitFor();
    await page.getByText("No changes: the same routing and settings as the running revision.").waitFor();
    await screenshot(page, "control-config-edit-dark");
    await page.getByLabel("Theme").selectOption("system");
    await ui.close();

    // Every bridge watching the bucket applies it.
    await waitFor(
      async () =>
        (sumMetric(await bridge.metricsText(), "langtian_bridge_connector_config_revision") ?? 0) >= written
          ? true
          : undefined,
      { what: "the bridge to apply the new revision", timeoutMs: 30_000, intervalMs: 300 },
    );
  });

  it("an operator replays both dead letters: each result shown; the large event lands in the lake, the undecodable one is dead-lettered again", async () => {
    assert.ok(written > 0, "the configuration was saved");
    const ui = await web.open(web.platform.operatorKey, "/dead-letters?stage=bridge");
    const { page } = ui;
    const rows = await waitForDeadLetters(page, 2);
    assert.equal(await rows.count(), 2);
    await page.getByRole("checkbox", { name: "Select every dead letter of this page" }).check();
    await page.getByRole("button", { name: "Replay selected (2)" }).click();
    await page
      .getByRole("dialog", { name: "Replay 2 dead letters?" })
      .getByRole("button", { name: "Replay" })
      .click();
    const results = page.getByTestId("replay-result");
    await results.nth(1).waitFor();
    for (const text of await results.allTextContents())
      assert.match(text, new RegExp(`replayednats:${prefix}\\.ui\\.`));
    await screenshot(page, "control-dead-letters-replayed");
    await page.getByLabel("Theme").selectOption("dark");
    await screenshot(page, "control-dead-letters-replayed-dark");
    await page.getByLabel("Theme").selectOption("system");

    // The undecodable bytes fail again: a third dead letter, at a new offset.
    await waitForDeadLetters(page, 3);

    // The large event passes the raised limit and lands in the lake: its table appears, then its
    // row (the writer creates a table in a snapshot of its own, before the one with the rows).
    await page.goto("/schemas");
    const table = page.getByRole("link", { name: /ui_replay_v1/ });
    await waitFor(
      async () => {
        if ((await table.isVisible()) && /1 row\b/.test((await table.textContent()) ?? "")) return true;
        await page.reload();
        await page.getByRole("navigation", { name: "Event types and tables" }).waitFor();
        await page.waitForLoadState("networkidle");
        return undefined;
      },
      { what: "the replayed event's table in the lake, with its row", timeoutMs: 90_000, intervalMs: 1_000 },
    );
    await table.click();
    await page.getByRole("table", { name: "Columns of ui_replay_v1" }).waitFor();

    // The device telemetry contract beside its live table.
    await page.getByRole("link", { name: /device\.telemetry/ }).click();
    await page.getByRole("table", { name: "Fields of Telemetry" }).waitFor();
    await page.getByTestId("table-size").filter({ hasText: /rows/ }).waitFor();
    await page.locator("text=VARCHAR").first().waitFor();
    await screenshot(page, "control-schemas");
    await ui.close();
  });

  it("the audit page shows who changed what, newest first, filtered by action in the URL", async () => {
    const ui = await web.open(web.platform.viewerKey, "/audit");
    const { page } = ui;
    const entries = page.getByRole("table", { name: "Audit entries" }).getByTestId("audit-entry");
    await entries.first().waitFor();
    const texts = await entries.allTextContents();
    // Newest first, one row per action with its result: the replay, then the configuration.
    assert.match(texts[0] ?? "", /olga.*ReplayDeadLetters.*ok$/s);
    assert.ok(!texts.some((t) => /requested$/.test(t)), "each request is shown with its result");
    assert.ok(texts.some((t) => /olga.*SetConnectorConfig.*ok$/s.test(t)));
    assert.ok(!texts.some((t) => /\bana\b/.test(t)), "the viewer's refused calls changed nothing");
    await screenshot(page, "control-audit");

    await page.getByLabel("Action").selectOption("SetConnectorConfig");
    await page.waitForURL(/action=SetConnectorConfig/);
    // A filtered view reads a larger page: wait for it.
    const filtered = await waitFor(
      async () => {
        const now = await entries.allTextContents();
        return now.length >= 1 && now.every((t) => t.includes("SetConnectorConfig")) ? now : undefined;
      },
      { what: "only the configuration's entries", timeoutMs: 15_000, intervalMs: 200 },
    );
    assert.equal(filtered.length, 1, "one row: requested, then ok");
    await page.getByLabel("Theme").selectOption("dark");
    await screenshot(page, "control-audit-dark");
    await page.getByLabel("Theme").selectOption("system");
    await ui.close();
  });
});
