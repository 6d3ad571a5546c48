import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { canListen, freePorts, runStack, tempDir, waitFor } from "../packages/testing/src/index.ts";
import { repoRoot } from "./lib/run.ts";

/** The overview as `langtian status --json` prints it (the proto's JSON form). */
interface StatusJson {
  instances?: { name: string; stage: string; endpoint: string; error?: string; ready?: boolean }[];
  streams?: { name: string; error?: string; messages?: string; consumers?: { name: string }[] }[];
  topics?: {
    name: string;
    error?: string;
    partitions?: { partition?: number; endOffset?: string; lakePosition?: string; lakeLag?: string }[];
  }[];
  lake?: { error?: string; tables?: { name: string; rows?: string }[] };
}

/** The stack's instances as it writes them into the admin's deployment model. */
const STAGES = ["collector", "bridge", "lake-writer", "query-api", "admin"];

describe("npm run stack --smoke", () => {
  it("starts the servers and every stack service, passes a round trip through NATS and Kafka, reads the events in the lake through the query API, shows the whole deployment in the admin (langtian status), and shuts down cleanly", async () => {
    const [nats = 0, monitor = 0, kafka = 0, controller = 0] = await freePorts(4);
    const env = {
      LANGTIAN_STACK_DIR: tempDir("stack"),
      LANGTIAN_STACK_NATS_PORT: String(nats),
      LANGTIAN_STACK_NATS_MONITOR_PORT: String(monitor),
      LANGTIAN_STACK_KAFKA_PORT: String(kafka),
      LANGTIAN_STACK_KAFKA_CONTROLLER_PORT: String(controller),
    };
    // --hold: the stack stays up after its smoke check until its stdin ends, so this test can
    // call the running admin from outside, as an operator does.
    let status: StatusJson | undefined;
    let eventTable = "";
    const { code, output } = await runStack({
      flags: ["--hold"],
      env,
      whileUp: async (output) => {
        const adminUrl = /^admin: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output)?.[1];
        assert.ok(adminUrl, `the stack prints the admin's address:\n${output}`);
        const token = /^operator token of this run.*\n {2}(\S+)$/m.exec(output)?.[1];
        assert.ok(token !== undefined && token.length >= 16, "the stack prints its operator token");
        assert.match(output, /LANGTIAN_OPERATOR_TOKEN=\S+ npm run langtian -- drain bridge-1/);
        // The table the simulator's events go to, as the query API found it.
        const found = /smoke: the query API lists event table (\w+) with/.exec(output)?.[1];
        assert.ok(found, "the query API found the event table");
        eventTable = found;

        // What an operator runs: the CLI as a child, told where the admin is.
        status = await waitFor(
          async () => {
            const { code, stdout, stderr } = await langtian(["status", "--json"], adminUrl);
            if (code !== 0 && code !== 3) throw new Error(`langtian status exited ${code}: ${stderr}`);
            const s = JSON.parse(stdout) as StatusJson;
            // Events flowed: every partition written to has a position stored in the lake.
            const partitions = s.topics?.[0]?.partitions ?? [];
            const flowed =
              partitions.some((p) => Number(p.endOffset ?? 0) > 0) &&
              partitions.every((p) => Number(p.endOffset ?? 0) === 0 || Number(p.lakePosition ?? -1) >= 0);
            const rows = s.lake?.tables?.some((t) => t.name === eventTable && Number(t.rows ?? 0) > 0);
            return code === 0 && flowed && rows ? s : undefined;
          },
          {
            what: "langtian status to show everything ready and events in the lake",
            timeoutMs: 60_000,
            intervalMs: 1_000,
          },
        );
      },
    });
    assert.equal(code, 0, output);
    assert.ok(status, "langtian status answered");

    // Every instance the stack started, at its real endpoint, ready.
    assert.deepEqual(
      status.instances?.map((i) => i.name),
      STAGES.map((stage) => `${stage}-1`),
    );
    for (const instance of status.instances ?? []) {
      assert.equal(instance.error ?? "", "", `${instance.name}: ${instance.error}`);
      assert.equal(instance.ready, true, `${instance.name} is ready`);
      assert.equal(instance.stage, instance.name.replace(/-1$/, ""));
      assert.match(
        output,
        new RegExp(`^${instance.stage}\\s+${instance.endpoint.replaceAll(".", "\\.")}`, "m"),
      );
    }
    // The stream the collector writes, with the bridge's consumer.
    const stream = status.streams?.find((s) => s.name === "EDA_EVENTS");
    assert.equal(stream?.error ?? "", "");
    assert.ok(Number(stream?.messages ?? 0) > 0, "the stream holds events");
    assert.ok((stream?.consumers ?? []).length > 0, "the bridge's consumer is shown");
    // The topic the bridge writes, each partition with the lake writer's position beside it.
    const topic = status.topics?.find((t) => t.name === "eda.events");
    assert.equal(topic?.error ?? "", "");
    assert.equal(topic?.partitions?.length, 3);
    for (const p of topic?.partitions ?? []) {
      const end = Number(p.endOffset ?? 0);
      const position = Number(p.lakePosition ?? -1);
      if (position >= 0) assert.equal(Number(p.lakeLag ?? 0), end - position, `partition ${p.partition}`);
    }
    // The lake's event table with the events that flowed.
    assert.equal(status.lake?.error ?? "", "");
    assert.ok(Number(status.lake?.tables?.find((t) => t.name === eventTable)?.rows ?? 0) > 0);

    assert.match(output, new RegExp(`nats-server\\s+nats://127\\.0\\.0\\.1:${nats}`));
    assert.match(output, new RegExp(`kafka\\s+127\\.0\\.0\\.1:${kafka}`));
    assert.match(output, /query-api\s+http:\/\/127\.0\.0\.1:\d+ \(Connect, gRPC, gRPC-Web\)/);
    // Events went from the simulator through every stage into the lake, and the query API reads them.
    assert.match(output, /smoke: the query API lists event table \w+ with [1-9]\d* rows/);
    assert.match(
      output,
      /smoke: the admin reports collector-1, bridge-1, lake-writer-1, query-api-1, admin-1 ready/,
    );
    // The web UI's queries go through the admin's QueryService proxy to the query API.
    assert.match(output, new RegExp(`smoke: the admin forwards QueryService \\([^)]*\\b${eventTable}\\b`));
    // It serves the web UI it built, and a visitor without a key views.
    assert.match(output, /smoke: the admin serves the web UI \(a visitor without a key views as anonymous\)/);
    assert.match(output, /web UI: http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(output, /stack smoke check passed/);
    for (const port of [nats, monitor, kafka, controller]) {
      assert.equal(await canListen(port), true, `port ${port} is free again`);
    }
  });
});

describe("npm run stack --direct --smoke", () => {
  it("runs JetStream straight into the lake (no Kafka, no bridge): the simulator's events are read through the query API and the admin reports every instance ready", async () => {
    const stackDir = tempDir("stack");
    const { code, output } = await runStack({
      flags: ["--direct"],
      env: { LANGTIAN_STACK_DIR: stackDir, ...(await chosenPorts(["NATS", "NATS_MONITOR"])) },
    });
    assert.equal(code, 0, output);
    assert.match(output, /smoke: 10 messages through JetStream \(no Kafka in this topology\)/);
    assert.match(output, /smoke: the query API lists event table \w+ with [1-9]\d* rows/);
    assert.match(output, /smoke: the admin reports collector-1, lake-writer-1, query-api-1, admin-1 ready/);
    // No Kafka and no bridge were started, and the data went to the topology's own folder.
    assert.doesNotMatch(output, /^(kafka|bridge)\s/m);
    const lakeRow = output.split("\n").find((line) => /^lake\s/.test(line));
    assert.ok(lakeRow?.includes(join(stackDir, "direct", "lake-writer", "lake")), `${lakeRow}`);
    assert.match(output, /stack smoke check passed/);
  });
});

describe("npm run stack in a bad environment", () => {
  it("refuses an unknown flag with the list of valid ones, before starting anything", async () => {
    const { code, output } = await runStack({ flags: ["--hq"] });
    assert.equal(code, 2);
    assert.match(output, /unknown argument --hq; valid flags: --ha --direct --smoke --hold/);
  });

  it("names the holder of a port chosen by its variable, in one paragraph with a hint and no stack trace", async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const port = (server.address() as { port: number }).port;
    try {
      const { code, output } = await runStack({
        env: { LANGTIAN_STACK_DIR: tempDir("stack"), LANGTIAN_STACK_NATS_PORT: String(port) },
      });
      assert.equal(code, 1);
      assert.match(
        output,
        new RegExp(
          `\\[stack\\] failed: LANGTIAN_STACK_NATS_PORT=${port} is in use \\(held by node \\(pid ${process.pid}\\)\\)\\. Stop that process, choose another port`,
        ),
      );
      assert.doesNotMatch(output, /^\s+at /m, "no stack trace");
    } finally {
      server.close();
    }
  });
});

/** Free ports for `LANGTIAN_STACK_<KEY>_PORT`, one per key. */
async function chosenPorts(keys: string[]): Promise<Record<string, string>> {
  const ports = await freePorts(keys.length);
  return Object.fromEntries(keys.map((key, i) => [`LANGTIAN_STACK_${key}_PORT`, String(ports[i])]));
}

/** `npm run langtian -- <args>`, without npm's own output: the CLI's entry point as a child. */
function langtian(
  args: string[],
  adminUrl: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(repoRoot, "services", "admin", "src", "cli", "main.ts"), ...args],
      { cwd: repoRoot, env: { ...process.env, LANGTIAN_CLI_ADMIN_URL: adminUrl }, timeout: 30_000 },
      (err, stdout, stderr) => {
        done({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
      },
    );
  });
}
