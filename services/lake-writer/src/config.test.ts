import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultDuckdbExtensionDir } from "@langtian/provision";
import { ConfigError } from "@langtian/service-kit";
import { defaultGroupInstanceId, lakeConfigOf, loadLakeWriterConfig } from "./config.ts";

describe("lake writer config", () => {
  it("defaults to an embedded SQLite catalog, a local data folder and no data inlining", () => {
    const config = loadLakeWriterConfig({});
    assert.deepEqual(lakeConfigOf(config), {
      // SQLite, not a DuckDB file: the query API reads the catalog while the writer writes it.
      catalog: { kind: "sqlite", path: "./data/lake/catalog.sqlite" },
      dataPath: "./data/lake/data",
      // 0 is passed on, not left out: DuckLake's own default would inline small inserts.
      dataInliningRowLimit: 0,
    });
    assert.equal(config.source, "kafka");
  });

  it("reads DuckDB extensions from the provisioned cache folder unless lake.extensionDir says otherwise", () => {
    assert.equal(loadLakeWriterConfig({}).lake.extensionDir, defaultDuckdbExtensionDir());
    const site = loadLakeWriterConfig({ LANGTIAN_LAKE_WRITER_LAKE_EXTENSION_DIR: "/opt/langtian/duckdb" });
    assert.equal(site.lake.extensionDir, "/opt/langtian/duckdb");
  });

  it("reads env vars and a file, and builds S3 settings for an s3:// data path", () => {
    const config = loadLakeWriterConfig(
      {
        LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: "s3://lake/events/",
        LANGTIAN_LAKE_WRITER_LAKE_S3_SECRET_ACCESS_KEY: "secret-key",
      },
      { lake: { s3: { endpoint: "127.0.0.1:8333", accessKeyId: "id" } }, batch: { maxRows: 500 } },
    );
    assert.equal(config.batch.maxRows, 500);
    assert.deepEqual(lakeConfigOf(config).s3, {
      endpoint: "127.0.0.1:8333",
      accessKeyId: "id",
      secretAccessKey: "secret-key",
      region: "us-east-1",
      useSsl: false,
      urlStyle: "path",
    });
  });

  it("joins the group as a static member by default, with an id stable across restarts", () => {
    const byHost = loadLakeWriterConfig({}, undefined, "plant-7.example");
    assert.equal(byHost.kafka.groupInstanceId, "lake-writer-plant-7.example-4103");
    assert.equal(
      loadLakeWriterConfig({}, undefined, "plant-7.example").kafka.groupInstanceId,
      byHost.kafka.groupInstanceId,
      "the same host and port give the same id",
    );
    const byInstance = loadLakeWriterConfig(
      { LANGTIAN_LAKE_WRITER_INSTANCE_ID: "writer a/1" },
      undefined,
      "h",
    );
    assert.equal(
      byInstance.kafka.groupInstanceId,
      "lake-writer-writer_a_1",
      "characters Kafka refuses become _",
    );
    const explicit = loadLakeWriterConfig(
      { LANGTIAN_LAKE_WRITER_KAFKA_GROUP_INSTANCE_ID: "lw-east-1" },
      undefined,
      "h",
    );
    assert.equal(explicit.kafka.groupInstanceId, "lw-east-1");
    assert.ok(Object.isFrozen(byHost.kafka), "still frozen");
  });

  it("stays a dynamic member on port 0 (no stable identity) or when static membership is off", () => {
    assert.equal(
      loadLakeWriterConfig({ LANGTIAN_LAKE_WRITER_PORT: "0" }, undefined, "h").kafka.groupInstanceId,
      undefined,
    );
    assert.equal(
      loadLakeWriterConfig({ LANGTIAN_LAKE_WRITER_KAFKA_STATIC_MEMBERSHIP: "false" }, undefined, "h").kafka
        .groupInstanceId,
      undefined,
    );
    assert.equal(
      defaultGroupInstanceId({ port: 0, instanceId: "x", kafka: { staticMembership: true } }, "h"),
      "lake-writer-x",
    );
    assert.throws(
      () => loadLakeWriterConfig({ LANGTIAN_LAKE_WRITER_KAFKA_GROUP_INSTANCE_ID: "bad id" }),
      (err: unknown) => err instanceof ConfigError && /groupInstanceId/.test(err.message),
    );
  });

  it("lists every problem at once: postgres without a DSN, s3 without credentials, bad numbers", () => {
    assert.throws(
      () =>
        loadLakeWriterConfig({
          LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "postgres",
          LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: "s3://lake/",
          LANGTIAN_LAKE_WRITER_BATCH_MAX_ROWS: "0",
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const paths = err.issues.map((i) => i.path);
        assert.ok(paths.includes("batch.maxRows"), paths.join());
        return true;
      },
    );
    assert.throws(
      () =>
        loadLakeWriterConfig({
          LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "postgres",
          LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: "s3://lake/",
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.issues.map((i) => i.path),
          ["lake.postgresDsn", "lake.s3.endpoint", "lake.s3.accessKeyId", "lake.s3.secretAccessKey"],
        );
        return true;
      },
    );
  });
});
