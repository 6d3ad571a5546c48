import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  defineConfigSchema,
  describeConfig,
  integer,
  secretPaths,
  string,
  toEnvSegment,
} from "./config-schema.ts";

describe("config schema", () => {
  it("turns camelCase and kebab-case names into UPPER_SNAKE env segments", () => {
    assert.equal(toEnvSegment("flushIntervalMs"), "FLUSH_INTERVAL_MS");
    assert.equal(toEnvSegment("lake-writer"), "LAKE_WRITER");
    assert.equal(toEnvSegment("s3"), "S3");
    assert.equal(toEnvSegment("maxBatchBytes"), "MAX_BATCH_BYTES");
  });

  it("describes every field with its dotted path and env name, nested shapes included", () => {
    const schema = defineConfigSchema("query-api", {
      port: integer({ default: 1 }),
      lake: { s3: { secretKey: string({ secret: true, optional: true }) } },
    });
    assert.equal(schema.envPrefix, "LANGTIAN_QUERY_API_");
    assert.deepEqual(
      describeConfig(schema).map((f) => [f.path, f.env]),
      [
        ["port", "LANGTIAN_QUERY_API_PORT"],
        ["lake.s3.secretKey", "LANGTIAN_QUERY_API_LAKE_S3_SECRET_KEY"],
      ],
    );
    assert.deepEqual(secretPaths(schema), ["lake.s3.secretKey"]);
  });

  it("treats a nested group with a key called kind as a group, not a field", () => {
    const schema = defineConfigSchema("x", { source: { kind: string({ default: "udp" }) } });
    assert.deepEqual(
      describeConfig(schema).map((f) => f.path),
      ["source.kind"],
    );
  });
});
