import assert from "node:assert/strict";
import { statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { register as globalRegistry } from "prom-client";
import { createMetrics, volumeMetrics } from "./metrics.ts";

describe("createMetrics", () => {
  it("gives each app its own registry with prefixed default metrics and identity labels", async () => {
    const a = createMetrics({ service: "lake-writer", instanceId: "a" });
    const b = createMetrics({ service: "lake-writer", instanceId: "b" });
    assert.notEqual(a.registry, b.registry);
    assert.notEqual(a.registry, globalRegistry);
    const text = await a.text();
    assert.match(text, /^langtian_process_cpu_seconds_total\{service="lake-writer",instance_id="a"\} /m);
    assert.match(text, /^langtian_nodejs_eventloop_lag_seconds/m);
  });

  it("creates counters, gauges and histograms named langtian_<service>_<name> on the app registry", async () => {
    const m = createMetrics({ service: "lake-writer", instanceId: "x", defaultMetrics: false });
    assert.equal(m.prefix, "langtian_lake_writer_");
    const rows = m.counter({ name: "rows_total", help: "Rows written.", labelNames: ["table"] });
    rows.inc({ table: "t" }, 3);
    m.gauge({ name: "lag_messages", help: "Lag." }).set(7);
    m.histogram({ name: "commit_seconds", help: "Commit time.", buckets: [1] }).observe(0.5);
    const text = await m.text();
    assert.match(
      text,
      /^langtian_lake_writer_rows_total\{table="t",service="lake-writer",instance_id="x"\} 3$/m,
    );
    assert.match(text, /^langtian_lake_writer_lag_messages\{service="lake-writer",instance_id="x"\} 7$/m);
    assert.match(
      text,
      /^langtian_lake_writer_commit_seconds_bucket\{le="1",service="lake-writer",instance_id="x"\} 1$/m,
    );
    assert.equal(
      await globalRegistry.getSingleMetricAsString("langtian_lake_writer_rows_total").catch(() => ""),
      "",
    );
  });

  it("lets two apps in one process register the same metric name", () => {
    const a = createMetrics({ service: "s", instanceId: "1", defaultMetrics: false });
    const b = createMetrics({ service: "s", instanceId: "2", defaultMetrics: false });
    a.counter({ name: "x_total", help: "x" });
    assert.doesNotThrow(() => b.counter({ name: "x_total", help: "x" }));
  });
});

describe("the default metrics", () => {
  it("have no gauge with a counter's _total suffix", async () => {
    const m = createMetrics({ service: "s", instanceId: "1" });
    const text = await m.text();
    const gaugesNamedTotal = [...text.matchAll(/^# TYPE (\S+_total) (\S+)$/gm)]
      .filter((t) => t[2] !== "counter")
      .map((t) => t[1]);
    assert.deepEqual(gaugesNamedTotal, []);
    assert.match(text, /^# TYPE langtian_nodejs_active_handles gauge$/m);
  });
});

describe("volumeMetrics", () => {
  it("exports free and total bytes of each named folder's file system, none for a missing folder", async () => {
    const m = createMetrics({ service: "s", instanceId: "1", defaultMetrics: false });
    volumeMetrics(m, { spool: tmpdir(), lake: join(tmpdir(), "no-such-folder-of-langtian") });
    const text = await m.text();
    const free = /^langtian_volume_free_bytes\{volume="spool",service="s",instance_id="1"\} (\d+)$/m.exec(
      text,
    );
    const size = /^langtian_volume_size_bytes\{volume="spool",service="s",instance_id="1"\} (\d+)$/m.exec(
      text,
    );
    assert.ok(free?.[1] && size?.[1], text);
    const stats = statfsSync(tmpdir());
    assert.equal(Number(size[1]), stats.blocks * stats.bsize);
    assert.ok(Number(free[1]) <= Number(size[1]));
    assert.doesNotMatch(text, /volume="lake"/);
  });
});
