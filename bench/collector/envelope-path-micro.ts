/**
 * In-process CPU time of the collector's per-datagram work for one device frame (not a test):
 * decode, build, event id, trace ids (a new unsampled trace per event, as when no spans are
 * exported; `crypto.randomUUID` beside it for scale), validate, encode, and all of them
 * together. Prints µs per call.
 *
 *   node bench/collector/envelope-path-micro.ts
 */

import { randomUUID } from "node:crypto";
import { buildEnvelope, createDefaultDecoders, encodeDeviceMessage } from "@langtian/collector";
import { deterministicEventId, encodeEnvelope, validateEnvelope } from "@langtian/envelope";
import { createEventTracer } from "@langtian/service-kit";

const decoder = createDefaultDecoders().get("device-frame");
if (decoder === undefined) throw new Error("no device-frame decoder");
const defaults = { eventType: "device.telemetry", sourceSystem: "bench", schemaVersion: "1.0" };
const now = Date.now();
const frames = Array.from({ length: 1000 }, (_, i) =>
  encodeDeviceMessage("device-frame", {
    deviceId: `sim-${i % 50}`,
    sequence: i + 1,
    timestampMs: now,
    temperature: 21.5,
  }),
);
const decoded = frames.map((f) => decoder.decode(f));
const envelopes = decoded.map((d) => buildEnvelope(d, defaults, now));
const tracer = createEventTracer({
  config: { otlpEndpoint: undefined, sampleRatio: 0.01, headers: [], maxQueuedSpans: 1024 },
  service: "collector",
  version: "bench",
  instanceId: "bench",
});
const at = <T>(list: T[], i: number) => list[i % list.length] as T;

function time(name: string, f: (i: number) => unknown, n = 200_000): [string, number] {
  for (let i = 0; i < 20_000; i++) f(i);
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) f(i);
  const used = process.cpuUsage(start);
  return [name, Number(((used.user + used.system) / n).toFixed(2))];
}

console.log(
  JSON.stringify({
    benchmark: "collector-envelope-path",
    usPerCall: Object.fromEntries([
      time("decode", (i) => decoder.decode(at(frames, i))),
      time("build", (i) => buildEnvelope(at(decoded, i), defaults, now)),
      time("deterministicEventId", (i) => deterministicEventId("bench", "sim-1", BigInt(i))),
      time("traceIds", () => tracer.startEvent("collector.publish", now).traceparent),
      time("randomUUID", () => randomUUID()),
      time("validate", (i) => validateEnvelope(at(envelopes, i), { nowMs: now })),
      time("encode", (i) => encodeEnvelope(at(envelopes, i))),
      time("all", (i) => {
        const d = decoder.decode(at(frames, i));
        const e = buildEnvelope(d, defaults, now, tracer.startEvent("collector.publish", now).traceparent);
        validateEnvelope(e, { nowMs: now });
        return encodeEnvelope(e);
      }),
    ]),
  }),
);
