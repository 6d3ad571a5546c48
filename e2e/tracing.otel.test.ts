import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runSimulator } from "@langtian/collector";
import { type ExportedSpan, startOtelCollector, tempDir, waitFor } from "@langtian/testing";
import { countLakeEvents, readLakeTraceparents } from "./support/lake-contents.ts";
import { type PipelineSource, startPipeline, TELEMETRY_TABLE } from "./support/pipeline.ts";
import { createTimeline } from "./support/timeline.ts";

// One trace per event, for real: the collector, the bridge and the lake writer run as child
// processes exporting spans over OTLP/HTTP to a real OpenTelemetry Collector. Every event in the
// lake names its trace (its `traceparent` column), and that trace holds one span per hop, each a
// child of the hop before: collector → bridge → lake writer (collector → lake writer on the
// direct path), with the service that recorded it.

const EVENTS = 300;

const paths: { name: string; source: PipelineSource; hops: readonly string[] }[] = [
  {
    name: "through Kafka",
    source: { kind: "kafka", bridges: 1, lakeWriters: 1, partitions: 2 },
    hops: ["collector.publish", "bridge.forward", "lake_writer.commit"],
  },
  {
    name: "JetStream direct",
    source: { kind: "jetstream", lakeWriters: 1 },
    hops: ["collector.publish", "lake_writer.commit"],
  },
];

const SERVICE_OF_HOP: Record<string, string> = {
  "collector.publish": "collector",
  "bridge.forward": "bridge",
  "lake_writer.commit": "lake-writer",
};

describe("one trace per event", () => {
  for (const { name, source, hops } of paths) {
    it(`links every event in the lake to its trace: a span per hop, each the child of the one before (${name})`, {
      timeout: 420_000,
    }, async () => {
      const timeline = createTimeline(`tracing ${source.kind}`);
      const receiver = await startOtelCollector({ dir: join(tempDir("e2e-otel"), "otelcol") });
      timeline.log(`OpenTelemetry Collector at ${receiver.otlpHttpUrl}, spans in ${receiver.spansFile}`);
      const serviceEnv: Record<string, string> = {};
      for (const service of ["COLLECTOR", "BRIDGE", "LAKE_WRITER"]) {
        serviceEnv[`LANGTIAN_${service}_TRACING_OTLP_ENDPOINT`] = receiver.otlpHttpUrl;
        serviceEnv[`LANGTIAN_${service}_TRACING_SAMPLE_RATIO`] = "1";
      }
      const pipeline = await startPipeline(source, timeline, {}, { serviceEnv });
      try {
        const sent = await runSimulator({
          host: "127.0.0.1",
          port: pipeline.udpPort,
          format: "device-frame",
          count: EVENTS,
          ratePerSec: 500,
          devices: 5,
          seed: 11,
        });
        timeline.log(`feed done: ${JSON.stringify(sent)}`);
        await waitFor(
          async () => {
            const counted = await countLakeEvents(
              pipeline.lake.catalogPath,
              pipeline.lake.dataPath,
              TELEMETRY_TABLE,
            );
            timeline.log(`lake: ${counted?.rows ?? 0} rows`);
            return counted !== undefined && counted.rows >= sent.good ? counted : undefined;
          },
          { what: "every event in the lake", timeoutMs: 120_000, intervalMs: 2_000 },
        );
        const traceparents = await readLakeTraceparents(
          pipeline.lake.catalogPath,
          pipeline.lake.dataPath,
          TELEMETRY_TABLE,
        );
        assert.equal(traceparents.size, sent.good);
        const traceOf = new Map<string, { traceId: string; spanId: string }>();
        for (const [eventId, traceparent] of traceparents) {
          const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(traceparent ?? "");
          assert.ok(
            m?.[1] && m[2],
            `event ${eventId}: a sampled traceparent in the lake, not ${traceparent}`,
          );
          traceOf.set(eventId, { traceId: m[1], spanId: m[2] });
        }
        assert.equal(
          new Set([...traceOf.values()].map((t) => t.traceId)).size,
          traceOf.size,
          "each event has a trace of its own",
        );

        // Spans are exported in batches about a second apart: wait for every hop of every event.
        const wanted = traceOf.size * hops.length;
        const spans = await receiver.waitForSpans(
          (all) => all.filter((s) => hops.includes(s.name)).length >= wanted,
          120_000,
        );
        const byTrace = new Map<string, ExportedSpan[]>();
        for (const span of spans) {
          const list = byTrace.get(span.traceId) ?? [];
          list.push(span);
          byTrace.set(span.traceId, list);
        }
        for (const [eventId, { traceId, spanId }] of traceOf) {
          const trace = byTrace.get(traceId) ?? [];
          assert.deepEqual(
            trace.map((s) => s.name).sort(),
            [...hops].sort(),
            `trace ${traceId} of event ${eventId}: one span per hop`,
          );
          let parent = "";
          for (const hop of hops) {
            const span = trace.find((s) => s.name === hop) as ExportedSpan;
            assert.equal(span.parentSpanId, parent, `${hop} of event ${eventId}: child of the hop before`);
            assert.equal(span.serviceName, SERVICE_OF_HOP[hop], `${hop}: recorded by its service`);
            assert.equal(
              span.status.code === 2,
              false,
              `${hop} of event ${eventId} failed: ${span.status.message}`,
            );
            assert.ok(span.endTimeUnixNano >= span.startTimeUnixNano, `${hop}: ends after it starts`);
            assert.equal(span.attributes["langtian.event_id"], eventId, `${hop}: names its event`);
            parent = span.spanId;
          }
          // The lake row names the collector's span: the root of the event's trace.
          assert.equal(trace.find((s) => s.name === "collector.publish")?.spanId, spanId);
        }
        timeline.log(
          `${traceOf.size} events, each with its trace of ${hops.length} spans (${spans.length} spans in all)`,
        );
      } finally {
        await pipeline.stop();
        await receiver.stop();
      }
    });
  }
});
