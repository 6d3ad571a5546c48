import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { ShutdownExitCode } from "@langtian/service-kit";
import {
  freePort,
  type ServerProcess,
  spawnServer,
  tempDir,
  testKafkaBootstrap,
  uniqueName,
  waitFor,
} from "@langtian/testing";
import { Admin } from "@platformatic/kafka";
import { loadLakeWriterConfig } from "../src/config.ts";
import { openLake } from "../src/lake/open-lake.ts";
import { lakeWriterEnv } from "../src/testing/lake-writer-env.ts";
import { queryLakeWithPython } from "../src/testing/python-reader.ts";
import { createTopic, produce, telemetryEvents } from "../src/testing/test-events.ts";
import { queryNumber } from "../src/testing/test-lake.ts";

const mainFile = join(import.meta.dirname, "../src/main.ts");

/** A lake writer child process and the URL it listens on. */
interface Child {
  server: ServerProcess;
  url: string;
}

/**
 * Starts main.ts as a server child: its own process group, killed with us even if this test
 * process dies without running any handler (a plain child would be orphaned, and one whose
 * output pipe fills up blocks in its logger for ever).
 */
async function startChild(env: NodeJS.ProcessEnv): Promise<Child> {
  let onUrl: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    onUrl = resolve;
  });
  const server = spawnChild(env, (line) => {
    const match = /"url":"(http:\/\/[^"]+)".*lake writer listening/.exec(line);
    if (match?.[1]) onUrl(match[1]);
  });
  const died = server.exited.then((exit) => {
    throw new Error(`lake writer exited with ${exit.code ?? exit.signal}: ${server.logTail(40)}`);
  });
  return { server, url: await Promise.race([url, died]) };
}

/** Spawns main.ts with `env` as a server child (see {@link startChild}); does not wait for anything. */
function spawnChild(env: NodeJS.ProcessEnv, onLine?: (line: string) => void): ServerProcess {
  return spawnServer({
    command: process.execPath,
    args: [mainFile],
    env: { ...process.env, ...env },
    logFile: join(tempDir("lake-writer-main"), "lake-writer.log"),
    ...(onLine !== undefined && { onLine }),
  });
}

/** The env of a child writing into a fresh lake folder from `topic` on `bootstrap`. */
function childEnv(bootstrap: string, topic: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...lakeWriterEnv({
      bootstrap,
      topic,
      dir: tempDir("lake-writer-main-lake"),
      groupId: uniqueName(`${topic}-group`),
    }),
    LANGTIAN_LAKE_WRITER_LOG_LEVEL: "info",
    ...extra,
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  let seen = false;
  for (const line of text.split("\n")) {
    if (line.startsWith(`langtian_lake_writer_${name}`)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
      seen = true;
    }
  }
  return seen ? sum : Number.NaN;
}

describe("lake writer process (main.ts)", () => {
  let bootstrap: string;
  const children: ServerProcess[] = [];
  before(async () => {
    // The writer reads its extension files and never fetches them: provision first.
    await provisionDuckdbExtensions();
    bootstrap = await testKafkaBootstrap();
  });
  after(async () => {
    await Promise.all(children.map((child) => child.kill()));
  });

  it("still holds exactly N rows after being killed with SIGKILL repeatedly mid-stream, and the official Python reader sees the same", async () => {
    const N = 6000;
    const topic = uniqueName("lw-kill");
    await createTopic(bootstrap, topic, 3);
    await produce(bootstrap, topic, telemetryEvents(N));
    const dir = tempDir("lake-writer-kill");
    const env = {
      ...lakeWriterEnv({ bootstrap, topic, dir, groupId: uniqueName("lw-kill-group") }),
      LANGTIAN_LAKE_WRITER_LOG_LEVEL: "info",
      LANGTIAN_LAKE_WRITER_KAFKA_GROUP_INSTANCE_ID: "lake-writer-kill-test",
      LANGTIAN_LAKE_WRITER_KAFKA_SESSION_TIMEOUT_MS: "6000",
      LANGTIAN_LAKE_WRITER_BATCH_MAX_ROWS: "150",
      LANGTIAN_LAKE_WRITER_BATCH_FLUSH_INTERVAL_MS: "20",
    };
    let kills = 0;
    for (let round = 0; round < 3; round++) {
      const child = await startChild(env);
      children.push(child.server);
      // Kill once this run has committed a few batches: the next batch is mid-flight.
      await waitFor(
        async () => ((await metric(child.url, "batches_written_total")) >= 3 ? true : undefined),
        {
          what: "a few batches committed",
          timeoutMs: 120_000,
        },
      );
      await child.server.kill();
      kills++;
    }
    const last = await startChild(env);
    children.push(last.server);
    await waitFor(
      async () => {
        const lag = await metric(last.url, "partition_lag_records");
        const owned = await metric(last.url, "owned_partitions");
        return owned === 3 && lag === 0 ? true : undefined;
      },
      { what: "no lag on any partition", timeoutMs: 120_000 },
    );
    const ready = await fetch(`${last.url}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const exit = await last.server.stop(30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, "a clean exit on SIGTERM");
    const lake = await openLake(
      {
        catalog: { kind: "sqlite", path: env.LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH },
        dataPath: env.LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH,
      },
      await provisionDuckdbExtensions(),
    );
    const summary =
      "SELECT count(*), count(DISTINCT event_id), sum(sequence), min(event_id), max(event_id) FROM lake.device_telemetry_v1";
    let ours: unknown[];
    try {
      const connection = await lake.connect();
      assert.equal(kills, 3);
      assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.device_telemetry_v1"), N);
      assert.equal(
        await queryNumber(connection, "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1"),
        N,
      );
      ours = (await connection.runAndReadAll(summary)).getRows()[0]?.map(String) ?? [];
    } finally {
      lake.close();
    }
    // The same lake, written by the service process, read by a reader no one here wrote.
    const theirs = await queryLakeWithPython(
      { kind: "sqlite", path: env.LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH },
      env.LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH,
      summary,
    );
    assert.deepEqual(theirs[0]?.map(String), ours);
  });
  it("exits non-zero (failed) after its drain when Kafka never answers (a fatal ingest error)", async () => {
    // A port nobody listens on: every metadata request is refused until the loop gives up.
    const deadBootstrap = `127.0.0.1:${await freePort()}`;
    const child = spawnChild(childEnv(deadBootstrap, uniqueName("lw-dead")));
    children.push(child);
    const exit = await Promise.race([
      child.exited,
      new Promise<never>((_resolve, reject) =>
        setTimeout(() => reject(new Error(`still running:\n${child.logTail(20)}`)), 180_000).unref(),
      ),
    ]);
    assert.deepEqual(exit, { code: ShutdownExitCode.failed, signal: null }, child.logTail(20));
    const log = child.logTail(60);
    assert.match(log, /"level":60.*"reason":"ingest loop failed"/, "the fatal error is logged");
    assert.match(log, /shutdown complete/, "it drained and closed before exiting");
  });

  it("exits 0 when stopped on request: the Drain RPC with the operator token, then SIGTERM", async () => {
    const topic = uniqueName("lw-stop");
    await createTopic(bootstrap, topic, 1);
    const token = "stop-test-operator-token";
    const child = await startChild(
      childEnv(bootstrap, topic, { LANGTIAN_LAKE_WRITER_OPERATOR_TOKEN: token }),
    );
    children.push(child.server);
    await waitFor(async () => ((await fetch(`${child.url}/readyz`)).status === 200 ? true : undefined), {
      what: "the lake writer ready",
      timeoutMs: 120_000,
    });
    const drain = await fetch(`${child.url}/langtian.lifecycle.v1.LifecycleService/Drain`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    assert.equal(drain.status, 200, await drain.clone().text());
    assert.equal(((await drain.json()) as { phase?: string }).phase, "PHASE_DRAINED");
    assert.equal((await fetch(`${child.url}/readyz`)).status, 503, "not ready once drained");
    const exit = await child.server.stop(30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, child.server.logTail(20));
  });
  it("restarted after SIGKILL, owns its partitions again without a rebalance (static membership by default)", async () => {
    const topic = uniqueName("lw-static");
    await createTopic(bootstrap, topic, 3);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // A dynamic member's successor would wait for this session to expire (or the 30 s
    // rebalance), with the group in PreparingRebalance all along: the difference is not subtle.
    const env = childEnv(bootstrap, topic, {
      LANGTIAN_LAKE_WRITER_PORT: String(port),
      LANGTIAN_LAKE_WRITER_KAFKA_SESSION_TIMEOUT_MS: "120000",
    });
    const groupId = String(env.LANGTIAN_LAKE_WRITER_KAFKA_GROUP_ID);
    const expectedId = loadLakeWriterConfig(env).kafka.groupInstanceId;
    assert.ok(expectedId, "a fixed port gives a derived static membership id");
    const ownsAll = async () =>
      (await metric(url, "owned_partitions").catch(() => 0)) === 3 ? true : undefined;
    const first = await startChild(env);
    children.push(first.server);
    await waitFor(ownsAll, { what: "the first writer owning 3 partitions", timeoutMs: 120_000 });

    const admin = new Admin({ clientId: "lw-static-observer", bootstrapBrokers: bootstrap.split(",") });
    const states = new Set<string>();
    let members: { groupInstanceId: string | null | undefined }[] = [];
    let observing = true;
    const observer = (async () => {
      while (observing) {
        const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
        if (group) {
          states.add(group.state);
          members = [...group.members.values()].map((m) => ({ groupInstanceId: m.groupInstanceId }));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await first.server.kill();
      const second = await startChild(env);
      children.push(second.server);
      await waitFor(ownsAll, { what: "the restarted writer owning 3 partitions", timeoutMs: 110_000 });
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
    } finally {
      observing = false;
      await observer;
      await admin.close();
    }
    // A rebalance passes through PreparingRebalance for the whole wait: sampled every 100 ms.
    assert.deepEqual(
      [...states].map((state) => state.toLowerCase()),
      ["stable"],
      "the group never rebalanced",
    );
    assert.deepEqual(members, [{ groupInstanceId: expectedId }]);
  });
});
