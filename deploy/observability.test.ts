/**
 * The pipeline as production watches it: all five services running on real nats-server and
 * Kafka, their expositions linted by promtool, a real Prometheus (Debian's) scraping them with
 * deploy/prometheus's rules loaded, and the Grafana dashboard's queries run on that Prometheus.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type PrometheusInstall, provisionPrometheus } from "@langtian/provision";
import { freePort, type ServerProcess, spawnServer, sumMetric, waitFor } from "@langtian/testing";
import { metricFamilies, missingMetrics, referencedMetrics, seriesNames } from "./testing/exposition.ts";
import { type ObservedPipeline, startObservedPipeline } from "./testing/observed-pipeline.ts";
import { alertRules } from "./testing/rule-files.ts";

const rulesFile = join(import.meta.dirname, "prometheus", "langtian-alerts.yml");
const dashboardFile = join(import.meta.dirname, "grafana", "langtian-pipeline.json");

/** `promtool check metrics` on an exposition: its findings, empty when it passes. */
function lintExposition(promtool: string, text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output: output.trim() }));
    child.stdin.end(text);
  });
}

/** GET a Prometheus HTTP API path; its `data` when the status is success. */
async function api<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  assert.equal(body.status, "success", `${path}: ${body.error ?? res.status}`);
  return body.data;
}

interface Target {
  labels: { job: string; instance: string };
  health: string;
  lastError: string;
}
interface RuleGroup {
  name: string;
  rules: { name: string; type: string; health: string; lastError?: string; lastEvaluation: string }[];
}

describe("observability of a running pipeline", () => {
  let install: PrometheusInstall;
  let pipeline: ObservedPipeline | undefined;
  let prometheus: ServerProcess | undefined;
  let prometheusUrl: string;
  /** Every series name the five services export (from their `# TYPE` lines). */
  let exported: Set<string>;

  before(async () => {
    install = await provisionPrometheus();
    pipeline = await startObservedPipeline();
    // Events through every stage, so the stage metrics have samples, not only their types.
    await pipeline.send(50);
    const lake = pipeline.lakeWriter;
    await waitFor(
      async () => {
        const rows = sumMetric(await lake.metricsText(), "langtian_lake_writer_rows_written_total") ?? 0;
        return rows >= 50 ? true : undefined;
      },
      { what: "the lake writer to commit the 50 events", timeoutMs: 120_000, intervalMs: 500 },
    );
    exported = new Set();
    for (const service of pipeline.jobs.values()) {
      for (const name of seriesNames(metricFamilies(await service.metricsText()))) exported.add(name);
    }

    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const config = join(pipeline.dir, "prometheus.yml");
    const scrapeConfigs = [...pipeline.jobs].map(([job, service]) => ({
      job_name: job,
      static_configs: [{ targets: [new URL(service.url).host] }],
    }));
    // JSON is YAML: the test's configuration, with the rules exactly as deploy/ ships them.
    writeFileSync(
      config,
      JSON.stringify({
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: [rulesFile],
        scrape_configs: scrapeConfigs,
      }),
    );
    prometheus = spawnServer({
      command: install.prometheus,
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(pipeline.dir, "prometheus-data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      logFile: join(pipeline.dir, "prometheus.log"),
    });
    const server = prometheus;
    await waitFor(async () => ((await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined), {
      what: "Prometheus to be ready",
      timeoutMs: 60_000,
      giveUpIf: () => (server.isRunning() ? undefined : `it exited:\n${server.logTail(20)}`),
    });
  });

  after(async () => {
    await prometheus?.stop();
    await pipeline?.stop();
  });

  it("every service's metrics pass promtool check metrics (names with base units, _total counters)", async () => {
    assert.ok(pipeline);
    for (const [job, service] of pipeline.jobs) {
      const text = await service.metricsText();
      const { code, output } = await lintExposition(install.promtool, text);
      assert.equal(output, "", `${job}: promtool check metrics found:\n${output}`);
      assert.equal(code, 0, `${job}: promtool check metrics exited ${code}`);
      // Our latencies are histograms with their unit in the name (the Node runtime's own
      // event-loop gauges come from prom-client as they are).
      for (const [name, type] of metricFamilies(text)) {
        if (/^langtian_(nodejs|process)_/.test(name)) continue;
        if (/latency|duration|_lag_seconds|produce_seconds/.test(name)) {
          assert.equal(type, "histogram", `${job}: ${name} is a ${type}, not a histogram`);
          assert.match(name, /_seconds$/, `${job}: ${name} has no _seconds unit`);
        }
      }
    }
  });

  it("every langtian metric the alert rules read is exported by a service", () => {
    const missing = missingMetrics(referencedMetrics(readFileSync(rulesFile, "utf8")), exported);
    assert.deepEqual(missing, [], `the rules read metrics no service exports: ${missing.join(", ")}`);
  });

  it("a real Prometheus scrapes every service and loads and evaluates every rule", async () => {
    assert.ok(pipeline);
    const jobs = [...pipeline.jobs.keys()].sort();
    const targets = await waitFor(
      async () => {
        const data = await api<{ activeTargets: Target[] }>(prometheusUrl, "/api/v1/targets");
        const up = data.activeTargets.filter((t) => t.health === "up");
        return up.length === jobs.length ? data.activeTargets : undefined;
      },
      { what: "every target to be up", timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.deepEqual(targets.map((t) => t.labels.job).sort(), jobs);

    const expected = alertRules(readFileSync(rulesFile, "utf8")).map((r) => r.alert);
    const groups = await waitFor(
      async () => {
        const data = await api<{ groups: RuleGroup[] }>(prometheusUrl, "/api/v1/rules");
        const rules = data.groups.flatMap((g) => g.rules);
        const evaluated = rules.every((r) => !r.lastEvaluation.startsWith("0001-"));
        return evaluated && rules.length === expected.length ? data.groups : undefined;
      },
      { what: "every rule to be evaluated", timeoutMs: 60_000, intervalMs: 500 },
    );
    const rules = groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.name).sort(), [...expected].sort());
    for (const rule of rules) {
      assert.equal(rule.type, "alerting", rule.name);
      assert.equal(rule.health, "ok", `${rule.name}: ${rule.lastError ?? ""}`);
    }
    // The scraped series are the services' own: `up` is 1 for each, and a stage counter moved.
    const up = await api<{ result: { metric: { job: string }; value: [number, string] }[] }>(
      prometheusUrl,
      `/api/v1/query?query=${encodeURIComponent('up{job=~"langtian-.+"}')}`,
    );
    assert.deepEqual(
      up.result.map((r) => [r.metric.job, r.value[1]]).sort(),
      jobs.map((j) => [j, "1"]),
    );
    const rows = await api<{ result: { value: [number, string] }[] }>(
      prometheusUrl,
      `/api/v1/query?query=${encodeURIComponent("sum(langtian_lake_writer_rows_written_total)")}`,
    );
    assert.ok(Number(rows.result[0]?.value[1]) >= 50, `rows written: ${JSON.stringify(rows.result)}`);
  });

  it("Prometheus reads the spans a service could not export", async () => {
    // The collector exports to a receiver that is not there (see startObservedPipeline); the
    // OTLP exporter gives a batch up after its retries, about 10 s.
    const failed = await waitFor(
      async () => {
        const { result } = await api<{
          result: { metric: Record<string, string>; value: [number, string] }[];
        }>(
          prometheusUrl,
          `/api/v1/query?query=${encodeURIComponent('langtian_collector_trace_spans_dropped_total{reason="export_failed"}')}`,
        );
        return Number(result[0]?.value[1]) >= 50 ? result : undefined;
      },
      { what: "the collector's 50 failed span exports to be counted", timeoutMs: 90_000, intervalMs: 1_000 },
    );
    assert.deepEqual(
      failed.map((r) => [r.metric.job, r.value[1]]),
      [["langtian-collector", "50"]],
      "one span per event sent, each counted once",
    );
  });

  it("Prometheus reads the stream's fill, the volumes' free space and the devices' clock offsets", async () => {
    assert.ok(pipeline);
    const query = async (q: string) =>
      (
        await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
          prometheusUrl,
          `/api/v1/query?query=${encodeURIComponent(q)}`,
        )
      ).result;
    // The bridge refreshes the stream's state with its consumer info (every 5 s by default).
    const stream = await waitFor(
      async () => {
        const r = await query("langtian_bridge_stream_messages");
        return Number(r[0]?.value[1]) >= 50 ? r : undefined;
      },
      { what: "the bridge to report the stream's messages", timeoutMs: 60_000, intervalMs: 500 },
    );
    const streamName = stream[0]?.metric.stream;
    assert.ok(streamName);
    // The collector made the stream with its default limits: 1 GiB, no message limit.
    const limits = await query("langtian_bridge_stream_limit_bytes");
    assert.deepEqual(
      limits.map((r) => [r.metric.stream, r.value[1]]),
      [[streamName, String(1024 ** 3)]],
    );
    assert.deepEqual(await query("langtian_bridge_stream_limit_messages"), []);
    const volumes = await query("langtian_volume_free_bytes / langtian_volume_size_bytes");
    assert.deepEqual(volumes.map((r) => `${r.metric.service}:${r.metric.volume}`).sort(), [
      "collector:spool",
      "lake-writer:lake",
    ]);
    for (const v of volumes) assert.ok(Number(v.value[1]) > 0 && Number(v.value[1]) <= 1, JSON.stringify(v));
    // A device an hour behind and one 30 s ahead: the collector's offsets span both.
    await pipeline.send(1, -3_600_000);
    await pipeline.send(1, 30_000);
    await waitFor(
      async () => {
        const max = Number((await query("langtian_collector_event_time_offset_max_seconds"))[0]?.value[1]);
        const min = Number((await query("langtian_collector_event_time_offset_min_seconds"))[0]?.value[1]);
        return max >= 3_600 && min <= -29 ? true : undefined;
      },
      { what: "the collector's event-time offsets to span -30 s .. 1 h", timeoutMs: 30_000, intervalMs: 500 },
    );
  });

  it("the Grafana dashboard's queries all run on Prometheus and read only exported metrics", async () => {
    const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as {
      uid: string;
      panels: { type: string; title: string; targets?: { expr: string }[] }[];
    };
    assert.equal(dashboard.uid, "langtian-pipeline");
    const panels = dashboard.panels.filter((p) => p.type !== "row");
    for (const topic of [/throughput/i, /latency/i, /lag/i, /spool/i, /dead letters/i, /errors/i]) {
      assert.ok(
        panels.some((p) => topic.test(p.title)),
        `no panel about ${topic}`,
      );
    }
    for (const panel of panels) {
      assert.ok(panel.targets && panel.targets.length > 0, `${panel.title} has no query`);
      for (const { expr } of panel.targets) {
        // Grafana's rate-window macro; the rest is plain PromQL.
        const query = expr.replaceAll("$__rate_interval", "1m");
        const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
        const body = (await res.json()) as { status: string; error?: string };
        assert.equal(body.status, "success", `${panel.title}: ${expr}: ${body.error}`);
        const missing = missingMetrics(referencedMetrics(expr), exported);
        assert.deepEqual(missing, [], `${panel.title}: ${expr} reads metrics no service exports`);
      }
    }
  });
});
