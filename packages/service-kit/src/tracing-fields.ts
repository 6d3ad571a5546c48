import type { InferConfig } from "./config-schema.ts";
import { integer, number, string, stringList } from "./config-schema.ts";

/**
 * The `tracing` section of the services an event passes through (collector, bridge, lake
 * writer): where spans are exported over OTLP/HTTP and how many traces are recorded.
 */
export function tracingFields() {
  return {
    tracing: {
      otlpEndpoint: string({
        optional: true,
        url: true,
        description:
          "OTLP/HTTP endpoint spans are exported to (an OpenTelemetry Collector or Jaeger, e.g. http://127.0.0.1:4318); unset exports none. Every event carries its trace id either way.",
      }),
      sampleRatio: number({
        default: 0.01,
        min: 0,
        max: 1,
        description:
          "Share of new traces recorded (by trace id, so every service records the same events); later hops follow the first one's decision.",
      }),
      headers: stringList({
        default: [],
        secret: true,
        description: "Headers sent with every export, as name=value (e.g. an API key of the receiver).",
      }),
      maxQueuedSpans: integer({
        default: 8192,
        min: 16,
        description: "Spans buffered for export at most; more are dropped (tracing never slows events down).",
      }),
    },
  };
}

/** The loaded `tracing` section. */
export type TracingConfig = InferConfig<ReturnType<typeof tracingFields>>["tracing"];
