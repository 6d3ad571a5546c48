import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { backupLake, type LocalLake, restoreLake } from "@langtian/lake";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  type NatsServer,
  type NodeService,
  provisionNatsCli,
  startNats,
  startNodeService,
  sumMetric,
  tempDir,
  uniqueName,
  waitForCommitted,
} from "@langtian/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { openLake } from "../../src/lake/open-lake.ts";
import { telemetryEvents } from "../../src/testing/test-events.ts";
import { queryNumber } from "../../src/testing/test-lake.ts";

const run = promisify(execFile);
const mainFile = join(import.meta.dirname, "../../src/main.ts");
const SUMMARY = "SELECT count(*), count(DISTINCT event_id) FROM lake.device_telemetry_v1";

describe("lake and JetStream backup and restore", () => {
  const stream = uniqueName("BACKUP").toUpperCase();
  const subject = `${stream.toLowerCase()}.events`;
  const dir = tempDir("lake-backup");
  const lake: LocalLake = {
    catalogKind: "sqlite",
    catalogPath: join(dir, "lake", "catalog.sqlite"),
    dataPath: join(dir, "lake", "data"),
  };
  let nats: NatsServer;
  let fresh: NatsServer | undefined;
  let nc: NatsConnection;
  let writer: NodeService | undefined;
  let published = 0;

  before(async () => {
    nats = await startNats({ dataDir: join(dir, "nats") });
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] });
  });
  after(async () => {
    await writer?.process.stop();
    await nc?.close();
    await nats?.stop();
    await fresh?.stop();
  });

  async function publish(count: number): Promise<void> {
    const js = jetstream(nc);
    await Promise.all(telemetryEvents(count, published).map((e) => js.publish(subject, e.value)));
    published += count;
  }

  function startWriter(): Promise<NodeService> {
    return startNodeService({
      name: "lake-writer",
      script: mainFile,
      env: {
        LANGTIAN_LAKE_WRITER_PORT: "0",
        LANGTIAN_LAKE_WRITER_LOG_LEVEL: "info",
        LANGTIAN_LAKE_WRITER_SOURCE: "jetstream",
        LANGTIAN_LAKE_WRITER_JETSTREAM_URL: nats.url,
        LANGTIAN_LAKE_WRITER_JETSTREAM_STREAM: stream,
        LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "sqlite",
        LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: lake.catalogPath,
        LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: lake.dataPath,
        LANGTIAN_LAKE_WRITER_MAINTENANCE_INTERVAL_MS: "0",
      },
      logFile: join(dir, "lake-writer.log"),
      readyTimeoutMs: 120_000,
    });
  }

  /** Rows and distinct event ids in the lake (writer stopped or running: a SQLite catalog). */
  async function summary(): Promise<[number, number]> {
    const open = await openLake(
      { catalog: { kind: "sqlite", path: lake.catalogPath }, dataPath: lake.dataPath },
      await provisionDuckdbExtensions(),
    );
    try {
      const connection = await open.connect();
      const rows = await queryNumber(connection, "SELECT count(*) FROM lake.device_telemetry_v1");
      const ids = await queryNumber(
        connection,
        "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1",
      );
      return [rows, ids];
    } finally {
      open.close();
    }
  }

  it("restores a lake backup taken while the writer ran; the writer resumes and ends with every event once", async () => {
    await publish(2000);
    writer = await startWriter();
    await waitForCommitted(writer, 2000);
    // Online: the writer keeps running while the catalog and then the files are copied.
    const backup = join(dir, "backup");
    await backupLake(lake, backup);
    await publish(3000);
    await waitForCommitted(writer, 5000);
    await writer.process.stop();
    writer = undefined;
    assert.deepEqual(await summary(), [5000, 5000]);

    // The lake is lost, then restored: it holds what was committed when the catalog was copied.
    await rm(join(dir, "lake"), { recursive: true, force: true });
    await restoreLake(backup, lake);
    assert.deepEqual(await summary(), [2000, 2000], SUMMARY);

    // Restarted on the restored lake, the writer reads JetStream from the stored position.
    writer = await startWriter();
    await waitForCommitted(writer, 3000);
    // Exactly the events after the backup were read again: none from before it (which the
    // writer's dedupe would otherwise hide), none skipped.
    const metrics = await writer.metricsText();
    assert.equal(sumMetric(metrics, "langtian_lake_writer_rows_written_total"), 3000);
    assert.equal(sumMetric(metrics, "langtian_lake_writer_duplicates_dropped_total") ?? 0, 0);
    await writer.process.stop();
    writer = undefined;
    assert.deepEqual(await summary(), [published, published], SUMMARY);
  });

  it("restores a JetStream stream backup into a fresh nats-server with every message", async () => {
    const cli = await provisionNatsCli();
    const target = join(dir, "stream-backup");
    await run(cli, ["--server", nats.url, "backup", "stream", stream, target, "--no-progress"]);
    fresh = await startNats({ dataDir: join(dir, "nats-fresh") });
    await run(cli, ["--server", fresh.url, "backup", "restore", "stream", target, "--no-progress"]);
    const restored = await connect({ servers: fresh.url });
    try {
      const info = await (await jetstreamManager(restored)).streams.info(stream);
      assert.equal(info.state.messages, published);
      assert.equal(info.state.last_seq, published);
      assert.deepEqual(info.config.subjects, [subject]);
    } finally {
      await restored.close();
    }
  });
});
