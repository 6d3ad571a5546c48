import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { canListen, freePorts, tempDir } from "../packages/testing/src/index.ts";
import { repoRoot } from "./lib/run.ts";

describe("npm run stack --smoke", () => {
  it("starts the servers and every stack service, passes a round trip through NATS and Kafka, reads the events in the lake through the query API, and shuts down cleanly", async () => {
    const [nats = 0, monitor = 0, kafka = 0, controller = 0] = await freePorts(4);
    const env = {
      ...process.env,
      LANGTIAN_STACK_DIR: tempDir("stack"),
      LANGTIAN_STACK_NATS_PORT: String(nats),
      LANGTIAN_STACK_NATS_MONITOR_PORT: String(monitor),
      LANGTIAN_STACK_KAFKA_PORT: String(kafka),
      LANGTIAN_STACK_KAFKA_CONTROLLER_PORT: String(controller),
    };
    const child = spawn(
      process.execPath,
      [join(repoRoot, "scripts", "stack.ts"), "--smoke", "--no-install"],
      {
        cwd: repoRoot,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));

    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`nats-server\\s+nats://127\\.0\\.0\\.1:${nats}`));
    assert.match(output, new RegExp(`kafka\\s+127\\.0\\.0\\.1:${kafka}`));
    assert.match(output, /query-api\s+http:\/\/127\.0\.0\.1:\d+ \(Connect, gRPC, gRPC-Web\)/);
    // Events went from the simulator through every stage into the lake, and the query API reads them.
    assert.match(output, /smoke: the query API lists event table \w+ with [1-9]\d* rows/);
    assert.match(output, /stack smoke check passed/);
    for (const port of [nats, monitor, kafka, controller]) {
      assert.equal(await canListen(port), true, `port ${port} is free again`);
    }
  });
});
