// The bundle `npm run package:windows` builds, in its Linux variant (same layout, Linux node,
// nats-server and DuckDB extensions), unpacked into a fresh folder and run from there alone:
// the bundled nats-server, then the direct pipeline's collector, lake writer (reading
// JetStream) and query API on the bundled Node, each answering /healthz, an event sent to the
// collector reaching the lake, and every service draining and exiting 0 on SIGINT.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePorts, type ServerProcess, spawnServer, tempDir, waitFor } from "@langtian/testing";
import { buildBundle } from "./bundle.ts";
import { bundleLayout } from "./services.ts";

describe("the bundle, unpacked on Linux", () => {
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers.reverse()) await server.stop();
  });

  it("holds the manifest's files, checksummed, and runs the pipeline from the unpacked folder", async () => {
    const out = tempDir("bundle-build");
    const { zip, version } = await buildBundle("linux-x64", out);
    const unpacked = tempDir("bundle-unpacked");
    const unzip = spawnSync("unzip", ["-q", zip, "-d", unpacked], { encoding: "utf8" });
    assert.equal(unzip.status, 0, unzip.stderr);
    const root = join(unpacked, `langtian-eda-${version}-linux-x64`);

    // The manifest's files, in their Linux spelling, and every checksum right.
    for (const file of [
      bundleLayout.adminCli,
      bundleLayout.version,
      bundleLayout.checksums,
      bundleLayout.commonScript,
      "bin\\nats-server",
      "node\\node",
    ]) {
      assert.ok(existsSync(join(root, ...file.split("\\"))), `${file} missing from the bundle`);
    }
    const sums = readFileSync(join(root, "SHA256SUMS"), "utf8").trim().split("\n");
    assert.ok(sums.length > 1000, "every file of the app is checksummed");
    for (const line of sums) {
      // sha256sum's format: the hash, two spaces, the path (which may hold spaces).
      const hash = line.slice(0, 64);
      const file = line.slice(66);
      const actual = createHash("sha256")
        .update(readFileSync(join(root, file)))
        .digest("hex");
      assert.equal(actual, hash, file);
    }

    const [natsPort, collectorPort, udpPort, writerPort, queryPort] = await freePorts(5);
    const node = join(root, "node", "node");
    const app = join(root, "app");
    const data = tempDir("bundle-data");
    const start = (name: string, command: string, args: string[], env: Record<string, string> = {}) => {
      const server = spawnServer({
        command,
        args,
        cwd: app,
        env: { PATH: process.env.PATH ?? "", ...env },
        logFile: join(data, `${name}.log`),
      });
      servers.push(server);
      return server;
    };
    const healthy = (name: string, server: ServerProcess, url: string) =>
      waitFor(async () => ((await fetch(url).catch(() => undefined))?.status === 200 ? true : undefined), {
        what: `${name} from the bundle to answer ${url}`,
        timeoutMs: 120_000,
        intervalMs: 250,
        giveUpIf: () => (server.isRunning() ? undefined : `it exited:\n${server.logTail(30)}`),
      });

    const nats = start("nats", join(root, "bin", "nats-server"), [
      "-js",
      "-a",
      "127.0.0.1",
      "-p",
      String(natsPort),
      "-sd",
      join(data, "jetstream"),
    ]);
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const lake = {
      CATALOG: "sqlite",
      CATALOG_PATH: join(data, "lake", "catalog.sqlite"),
      DATA_PATH: join(data, "lake", "data"),
      EXTENSION_DIR: join(root, "duckdb-extensions"),
    };
    const lakeEnv = (prefix: string) =>
      Object.fromEntries(Object.entries(lake).map(([key, value]) => [`${prefix}_LAKE_${key}`, value]));

    const collector = start("collector", node, [join(app, "services", "collector", "src", "main.ts")], {
      LANGTIAN_COLLECTOR_PORT: String(collectorPort),
      LANGTIAN_COLLECTOR_NATS_URL: natsUrl,
      LANGTIAN_COLLECTOR_SPOOL_DIR: join(data, "spool"),
      LANGTIAN_COLLECTOR_UDP_LISTENERS: `udp://127.0.0.1:${udpPort}?decoder=json&event_type=device.telemetry&source_system=bundle`,
    });
    await healthy("collector", collector, `http://127.0.0.1:${collectorPort}/readyz`);
    const writer = start("lake-writer", node, [join(app, "services", "lake-writer", "src", "main.ts")], {
      LANGTIAN_LAKE_WRITER_PORT: String(writerPort),
      LANGTIAN_LAKE_WRITER_SOURCE: "jetstream",
      LANGTIAN_LAKE_WRITER_JETSTREAM_URL: natsUrl,
      LANGTIAN_LAKE_WRITER_JETSTREAM_STREAM: "EDA_EVENTS",
      LANGTIAN_LAKE_WRITER_BATCH_FLUSH_INTERVAL_MS: "500",
      ...lakeEnv("LANGTIAN_LAKE_WRITER"),
    });
    await healthy("lake-writer", writer, `http://127.0.0.1:${writerPort}/healthz`);
    const query = start("query-api", node, [join(app, "services", "query-api", "src", "main.ts")], {
      LANGTIAN_QUERY_API_PORT: String(queryPort),
      LANGTIAN_QUERY_API_SANDBOX_TEMP_DIR: join(data, "query-tmp"),
      ...lakeEnv("LANGTIAN_QUERY_API"),
    });
    await healthy("query-api", query, `http://127.0.0.1:${queryPort}/healthz`);

    // One event through the pipeline: the writer's committed-rows counter moves.
    const socket = createSocket("udp4");
    const datagram = JSON.stringify({ device_id: "bundle-1", seq: 1, temperature: 21.5 });
    await waitFor(
      async () => {
        await new Promise<void>((resolve) => socket.send(datagram, udpPort, "127.0.0.1", () => resolve()));
        const metrics = await (await fetch(`http://127.0.0.1:${writerPort}/metrics`)).text();
        const rows = /^langtian_lake_writer_rows_written_total(?:\{[^}]*\})? (\d+)/m.exec(metrics);
        return rows && Number(rows[1]) > 0 ? true : undefined;
      },
      {
        what: "an event sent to the bundle's collector to reach the lake",
        timeoutMs: 120_000,
        intervalMs: 1000,
      },
    );
    socket.close();

    for (const server of [query, writer, collector]) {
      process.kill(server.pid, "SIGINT");
      assert.deepEqual(await server.exited, { code: 0, signal: null }, server.logTail(20));
    }
    assert.ok(nats.isRunning());
  });
});
