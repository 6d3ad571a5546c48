// A Windows service manager (shawl) stops a service with Ctrl+C, which Node sees as SIGINT;
// closing its console sends SIGHUP and Ctrl+Break SIGBREAK. Windows never sends SIGTERM. This
// checks that a real service process drains and exits 0 on the two that Linux can send, and
// that every service's main.ts listens on SIGBREAK too (which Linux cannot send).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SHUTDOWN_SIGNALS } from "@langtian/service-kit";
import { startNodeService, tempDir, testNatsUrl, uniqueName } from "@langtian/testing";
import { windowsDir } from "./generate.ts";
import { nodeServices } from "./services.ts";

const repoRoot = join(windowsDir, "..", "..");

describe("a service stopped the way Windows stops it", () => {
  for (const signal of ["SIGINT", "SIGHUP"] as const) {
    it(`drains and exits 0 on ${signal}`, async () => {
      const dir = tempDir(`windows-${signal}`);
      const stream = uniqueName("WIN_SIGNAL").toUpperCase().replaceAll("-", "_");
      const logFile = join(dir, "collector.log");
      const collector = await startNodeService({
        name: "collector",
        script: join(repoRoot, "services", "collector", "src", "main.ts"),
        env: {
          LANGTIAN_COLLECTOR_PORT: "0",
          LANGTIAN_COLLECTOR_NATS_URL: await testNatsUrl(),
          LANGTIAN_COLLECTOR_STREAM_NAME: stream,
          LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX: stream.toLowerCase(),
          LANGTIAN_COLLECTOR_STREAM_MAX_BYTES: String(16 * 1024 ** 2),
          LANGTIAN_COLLECTOR_SPOOL_DIR: join(dir, "spool"),
          LANGTIAN_COLLECTOR_UDP_LISTENERS:
            "udp://127.0.0.1:0?decoder=json&event_type=device.telemetry&source_system=windows-test",
        },
        logFile,
      });
      try {
        process.kill(collector.process.pid, signal);
        const exit = await collector.process.exited;
        assert.deepEqual(exit, { code: 0, signal: null }, collector.process.logTail(20));
        const log = readFileSync(logFile, "utf8");
        assert.match(log, new RegExp(`"reason":"${signal}".*shutting down`));
        assert.match(log, /"code":0.*shutdown complete/);
      } finally {
        await collector.process.stop();
      }
    });
  }

  it("every service's main.ts installs the shutdown path on the default signals, SIGBREAK included", () => {
    assert.ok(SHUTDOWN_SIGNALS.includes("SIGBREAK"));
    assert.ok(SHUTDOWN_SIGNALS.includes("SIGINT") && SHUTDOWN_SIGNALS.includes("SIGHUP"));
    for (const service of nodeServices) {
      const main = join(repoRoot, "services", service.name, "src", "main.ts");
      const text = readFileSync(main, "utf8");
      assert.match(
        text,
        /installShutdown\(app\.service, \{ deadlineMs: config\.shutdownDeadlineMs \}\)/,
        main,
      );
    }
  });
});
