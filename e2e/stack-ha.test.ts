import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePorts, runStack, tempDir, testJvmOptions } from "@langtian/testing";

// `npm run stack -- --ha --smoke` end to end: 3 NATS nodes, 3 Kafka brokers, PostgreSQL,
// SeaweedFS, 2 bridges and 2 lake writers on one machine. Here, with the sequential tests,
// rather than beside scripts/stack.test.ts: it loads both cores for a few minutes.

/** The servers' port variables of the --ha stack, each given a free port so none moves. */
const PORT_KEYS = [
  ...["NATS", "NATS_2", "NATS_3"].flatMap((n) => [n, `${n}_ROUTE`, `${n}_MONITOR`]),
  ...["KAFKA", "KAFKA_2", "KAFKA_3"].flatMap((k) => [k, `${k}_CONTROLLER`]),
  "POSTGRES",
  ...["MASTER", "MASTER_GRPC", "VOLUME", "VOLUME_GRPC", "FILER", "FILER_GRPC"].map((p) => `SEAWEEDFS_${p}`),
  ...["S3", "S3_GRPC", "ICEBERG", "LANCE", "ADMIN", "ADMIN_GRPC"].map((p) => `SEAWEEDFS_${p}`),
];

describe("npm run stack --ha --smoke", () => {
  it("runs the replicated topology: events through 3 NATS nodes (R3), 3 brokers (RF 3) and 2 bridges into a PostgreSQL + S3 lake with 2 writers, read through the query API, every instance ready in the admin", async () => {
    const stackDir = tempDir("stack-ha");
    // A temp dir is private (0700); PostgreSQL runs as the `postgres` user when we are root.
    chmodSync(stackDir, 0o755);
    const ports = await freePorts(PORT_KEYS.length);
    const env: Record<string, string | undefined> = {
      LANGTIAN_STACK_DIR: stackDir,
      // Test brokers: small heaps and C1 only, as every test broker of the testing kit.
      LANGTIAN_STACK_KAFKA_JVM_OPTIONS: testJvmOptions.join(" "),
      ...Object.fromEntries(PORT_KEYS.map((key, i) => [`LANGTIAN_STACK_${key}_PORT`, String(ports[i])])),
    };
    const started = performance.now();
    const { code, output } = await runStack({ flags: ["--ha"], env });
    process.stdout.write(
      `# stack --ha --smoke took ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
    );
    assert.equal(code, 0, output);

    // Replication as --ha promises it.
    assert.match(output, /smoke: stream EDA_EVENTS has 3 replicas/);
    assert.match(output, /smoke: topic eda\.events has replication factor 3 and min\.insync\.replicas 2/);
    // Events from the simulator through every stage into the lake, read by the query API.
    assert.match(output, /smoke: 10 messages through JetStream and 10 through Kafka/);
    assert.match(output, /smoke: the query API lists event table \w+ with [1-9]\d* rows/);
    // Every instance of the deployment model ready in the admin.
    assert.match(
      output,
      /smoke: the admin reports collector-1, bridge-1, bridge-2, lake-writer-1, lake-writer-2, query-api-1, admin-1 ready/,
    );
    // The table shows every node and broker, and the lake on PostgreSQL and S3.
    for (const [i, node] of ["n1", "n2", "n3"].entries()) {
      const port = env[`LANGTIAN_STACK_${i === 0 ? "NATS" : `NATS_${i + 1}`}_PORT`];
      assert.match(output, new RegExp(`^nats-server ${node}\\s+nats://127\\.0\\.0\\.1:${port}`, "m"));
    }
    for (const [i, key] of ["KAFKA", "KAFKA_2", "KAFKA_3"].entries()) {
      assert.match(
        output,
        new RegExp(`^kafka broker ${i + 1}\\s+127\\.0\\.0\\.1:${env[`LANGTIAN_STACK_${key}_PORT`]}`, "m"),
      );
    }
    assert.match(output, new RegExp(`^postgres\\s+127\\.0\\.0\\.1:${env.LANGTIAN_STACK_POSTGRES_PORT}`, "m"));
    assert.match(
      output,
      new RegExp(`^seaweedfs s3\\s+http://127\\.0\\.0\\.1:${env.LANGTIAN_STACK_SEAWEEDFS_S3_PORT}`, "m"),
    );
    assert.match(output, /^lake\s+postgres catalog, Parquet files in s3:\/\/lake\/events\//m);
    for (const name of ["bridge-1", "bridge-2", "lake-writer-1", "lake-writer-2"]) {
      assert.match(output, new RegExp(`^${name}\\s+http://127\\.0\\.0\\.1:\\d+`, "m"));
    }
    // Its data in the topology's own folder.
    assert.ok(output.includes(join(stackDir, "ha", "postgres")), "postgres data under <stack dir>/ha");
    assert.match(output, /stack smoke check passed/);
  });
});
