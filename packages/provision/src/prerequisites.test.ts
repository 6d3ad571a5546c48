import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createHeartbeat } from "./install-dir.ts";
import { requireJava } from "./kafka.ts";
import { javaMajorVersion, missingToolError, networkHint } from "./prerequisites.ts";
import { ProvisionError } from "./provision-error.ts";
import { runTool } from "./run-tool.ts";
import { tempDirsRemovedAfterTests } from "./testing/index.ts";

const tempDir = tempDirsRemovedAfterTests();

/** An environment whose PATH is one empty folder: no tool can be found. */
function barePathEnv(): NodeJS.ProcessEnv {
  return { PATH: tempDir("bare-path") };
}

/** A PATH holding one fake executable `name` that prints `stderr` and exits 0. */
function fakeToolEnv(name: string, stderr: string): NodeJS.ProcessEnv {
  const dir = tempDir("fake-tool");
  const script = join(dir, name);
  writeFileSync(script, `#!/bin/sh\necho '${stderr}' >&2\n`);
  chmodSync(script, 0o755);
  return { PATH: dir };
}

/** Resolves once `condition` holds, checking every millisecond. */
function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (!condition()) return;
      clearInterval(poll);
      resolve();
    }, 1);
  });
}

async function rejection(promise: Promise<unknown>): Promise<ProvisionError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ProvisionError, `expected a ProvisionError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a rejection");
}

describe("a missing prerequisite", () => {
  const cases = [
    {
      tool: "java",
      says: /^Java 17 or newer is needed to run Kafka, .*apt-get install openjdk-17-jre-headless/,
    },
    { tool: "mvn", says: /^Apache Maven is needed to fetch Kafka's jars .*apt-get install maven/ },
    {
      tool: "go",
      says: /^Go 1\.21 or newer .* is needed to build nats-server and SeaweedFS, .*\/usr\/local\/go/,
    },
    { tool: "python3", says: /^Python 3\.10 or newer is needed .*apt-get install python3 python3-venv/ },
  ];
  for (const { tool, says } of cases) {
    it(`names what ${tool} is for and how to get it, in one paragraph`, async (t) => {
      if (process.platform === "win32") {
        t.skip("the fake PATH holds POSIX names");
        return;
      }
      const err = await rejection(runTool(tool, ["--version"], { env: barePathEnv() }));
      assert.match(err.message, says);
      assert.match(err.message, new RegExp(`\`${tool}\` was not found`));
      assert.equal(err.message.includes("\n"), false, err.message);
    });
  }

  it("names an unknown command as it was run", () => {
    assert.equal(
      missingToolError("/opt/x/frobnicate").message,
      "`/opt/x/frobnicate` is needed and was not found on PATH.",
    );
  });

  it("recognises a tool by its bare name, whatever its folder and Windows suffix", () => {
    assert.match(
      missingToolError("C:\\Program Files\\Maven\\bin\\mvn.cmd").message,
      /^Apache Maven is needed/,
    );
    assert.match(missingToolError("/usr/local/go/bin/go").message, /^Go 1\.21 or newer/);
  });
});

describe("the Java that runs Kafka", () => {
  it("is refused below Java 17, saying how to get a newer one", async (t) => {
    if (process.platform === "win32") {
      t.skip("the fake java is a shell script");
      return;
    }
    const env = fakeToolEnv("java", 'openjdk version "11.0.22" 2024-01-16');
    const err = await rejection(requireJava(env));
    assert.match(
      err.message,
      /^Java 17 or newer is needed to run Kafka, and `java` is Java 11: .*openjdk-17/,
    );
  });

  it("is accepted from Java 17 on", async (t) => {
    if (process.platform === "win32") {
      t.skip("the fake java is a shell script");
      return;
    }
    assert.equal(await requireJava(fakeToolEnv("java", 'openjdk version "17.0.9" 2023-10-17')), "java");
  });

  it("reads old and new version strings", () => {
    assert.equal(javaMajorVersion('java version "1.8.0_392"'), 8);
    assert.equal(javaMajorVersion('openjdk version "21" 2023-09-19'), 21);
    assert.equal(javaMajorVersion('openjdk version "17.0.9" 2023-10-17'), 17);
    assert.equal(javaMajorVersion("no version here"), undefined);
  });
});

describe("a download without network", () => {
  it("leads with what to check, naming the source", () => {
    const goOutput =
      'go: github.com/nats-io/nats-server/v2@v2.15.2: Get "https://proxy/...": dial tcp: lookup proxy: no such host';
    assert.match(
      networkHint(goOutput, "the Go module proxy") ?? "",
      /^This step downloads from the Go module proxy and could not reach it\. .*GOPROXY/,
    );
    const pipOutput =
      "WARNING: Retrying ... NewConnectionError: Failed to establish a new connection: [Errno -3]";
    assert.match(networkHint(pipOutput, "the Python package index") ?? "", /PIP_INDEX_URL/);
    const mavenOutput = "Could not transfer artifact org.apache.kafka:kafka_2.13:pom:4.4.0 from/to central";
    assert.match(networkHint(mavenOutput, "Maven Central") ?? "", /settings\.xml/);
  });

  it("says nothing when the failure is not the network's", () => {
    assert.equal(networkHint("compile error: undefined: foo", "the Go module proxy"), undefined);
  });

  it("puts the hint before the tool's own output in runTool's error", async (t) => {
    if (process.platform === "win32") {
      t.skip("the fake tool is a shell script");
      return;
    }
    const dir = tempDir("offline-tool");
    writeFileSync(join(dir, "fetch"), "#!/bin/sh\necho 'dial tcp 10.0.0.1:443: i/o timeout' >&2\nexit 1\n");
    chmodSync(join(dir, "fetch"), 0o755);
    const err = await rejection(
      runTool("fetch", [], { env: { PATH: dir }, downloadsFrom: "the Go module proxy" }),
    );
    assert.match(
      err.message,
      /^This step downloads from the Go module proxy .*\nfetch failed \(exit 1\):\ndial tcp/,
    );
  });
});

describe("the heartbeat of long steps", () => {
  it("names every running step with its time at each interval, in one line, until they end", async () => {
    const lines: string[] = [];
    const heartbeat = createHeartbeat(5, (line) => lines.push(line));
    let finishSecond = (): void => {};
    const second = heartbeat.track(
      "kafka 4.4.0",
      () =>
        new Promise<string>((resolve) => {
          finishSecond = () => resolve("jars");
        }),
    );
    const first = heartbeat.track("nats-server v2.15.2", () =>
      until(() => lines.length >= 2).then(() => "built"),
    );
    assert.equal(await first, "built");
    const together = lines.slice(0, 2);
    for (const line of together) {
      assert.match(line, /^still installing: kafka 4\.4\.0 \(\d+ s\), nats-server v2\.15\.2 \(\d+ s\)$/);
    }
    // The finished step leaves the line; the other goes on beating alone.
    const seen = lines.length;
    await until(() => lines.length > seen);
    assert.match(lines.at(-1) ?? "", /^still installing: kafka 4\.4\.0 \(\d+ s\)$/);
    finishSecond();
    assert.equal(await second, "jars");
    // Nothing more once every step has ended.
    const count = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(lines.length, count);
  });
});
