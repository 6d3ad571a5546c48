import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { provisionOtelCollector } from "@langtian/provision";
import { freePorts } from "./ports.ts";
import type { ServerProcess } from "./server-process.ts";
import { ServerStartError, startUntilReady } from "./start-until-ready.ts";
import { waitFor } from "./wait.ts";

/** One span as the collector received it, flattened from its OTLP JSON line. */
export interface ExportedSpan {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  /** The parent's span id, or `""` for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP `SpanKind`: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** The resource attribute `service.name` of the span's resource (`""` when absent). */
  serviceName: string;
  /**
   * The span's attributes. Integers become numbers; arrays and key-value lists become their
   * OTLP JSON text; bytes stay base64 text.
   */
  attributes: Record<string, string | number | boolean>;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** OTLP `StatusCode`: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
}

/** A running test OpenTelemetry Collector, see {@link startOtelCollector}. */
export interface OtelCollector {
  /** `http://127.0.0.1:<port>`: the OTLP/HTTP base URL (an exporter appends `/v1/traces`). */
  readonly otlpHttpUrl: string;
  /** `http://127.0.0.1:<port>`: the OTLP/gRPC endpoint. */
  readonly otlpGrpcUrl: string;
  /** The file the collector appends each export request to, as one line of OTLP JSON. */
  readonly spansFile: string;
  /** The collector's own output. */
  readonly logFile: string;
  /** The collector's process id. */
  readonly pid: number;
  /** Every span received so far, in the order the collector wrote them. */
  spans(): Promise<ExportedSpan[]>;
  /**
   * Polls {@link OtelCollector.spans} until `predicate` holds for them and returns them; fails
   * after `timeoutMs` (default 30 s) with how many spans had arrived.
   */
  waitForSpans(predicate: (spans: ExportedSpan[]) => boolean, timeoutMs?: number): Promise<ExportedSpan[]>;
  /** SIGTERM (the exporter flushes its file), SIGKILL after a grace; resolves when the process is gone. */
  stop(): Promise<void>;
}

/** Options for {@link startOtelCollector}. */
export interface StartOtelCollectorOptions {
  /** Folder for the config, the log and `spans.jsonl`; created when missing. */
  dir: string;
  /** How long to wait for readiness; generous because CPU is shared. */
  readyTimeoutMs?: number;
}

/**
 * Starts the test OpenTelemetry Collector (built by `provisionOtelCollector`: the OTLP receiver
 * and the file exporter) with its OTLP/HTTP and OTLP/gRPC receivers on free 127.0.0.1 ports,
 * writing every span it receives to `<dir>/spans.jsonl`, and waits until the HTTP receiver
 * accepts an (empty) export request. The collector's own telemetry is quiet: logs at `warn`
 * into `<dir>/otelcol.log` and no metrics endpoint, so it binds no fixed port.
 */
export async function startOtelCollector(options: StartOtelCollectorOptions): Promise<OtelCollector> {
  const binary = await provisionOtelCollector();
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, "otelcol.yaml");
  const logFile = join(dir, "otelcol.log");
  const spansFile = join(dir, "spans.jsonl");
  for (let attempt = 1; ; attempt++) {
    const [httpPort = 0, grpcPort = 0] = await freePorts(2);
    writeFileSync(configFile, collectorConfig({ httpPort, grpcPort, spansFile }));
    const otlpHttpUrl = `http://127.0.0.1:${httpPort}`;
    let proc: ServerProcess;
    try {
      proc = await startUntilReady({
        what: `the OpenTelemetry Collector on ports ${httpPort} (HTTP) and ${grpcPort} (gRPC)`,
        spec: { command: binary, args: ["--config", `file:${configFile}`], logFile, cwd: dir },
        ready: () => acceptsExport(otlpHttpUrl),
        timeoutMs: options.readyTimeoutMs ?? 60_000,
      });
    } catch (err) {
      // A random port can be taken between our check and the collector's bind: retry elsewhere.
      if (err instanceof ServerStartError && err.portInUse && attempt < 3) continue;
      throw err;
    }
    const spans = async () => parseSpanLines(await readFile(spansFile, "utf8").catch(() => ""));
    return {
      otlpHttpUrl,
      otlpGrpcUrl: `http://127.0.0.1:${grpcPort}`,
      spansFile,
      logFile,
      pid: proc.pid,
      spans,
      waitForSpans: (predicate, timeoutMs = 30_000) =>
        waitFor(
          async () => {
            const received = await spans();
            if (predicate(received)) return received;
            // The last error is the timeout's detail: what had arrived by then.
            throw new Error(`${received.length} spans so far`);
          },
          {
            what: `spans that satisfy the predicate in ${spansFile}`,
            timeoutMs,
            intervalMs: 100,
            giveUpIf: () => (proc.isRunning() ? undefined : "the collector exited"),
          },
        ),
      stop: async () => {
        await proc.stop(15_000);
      },
    };
  }
}

/**
 * The collector's YAML config. Strings are written as JSON strings, which YAML reads as the
 * same double-quoted scalars (Windows paths included).
 */
function collectorConfig(spec: { httpPort: number; grpcPort: number; spansFile: string }): string {
  return [
    "receivers:",
    "  otlp:",
    "    protocols:",
    "      http:",
    `        endpoint: "127.0.0.1:${spec.httpPort}"`,
    "      grpc:",
    `        endpoint: "127.0.0.1:${spec.grpcPort}"`,
    "exporters:",
    "  file:",
    `    path: ${JSON.stringify(spec.spansFile)}`,
    // Written lines reach the file within 100 ms (the default buffers for a second).
    "    flush_interval: 100ms",
    "service:",
    "  telemetry:",
    "    logs:",
    "      level: warn",
    // No metrics readers: no Prometheus endpoint on the default fixed port 8888.
    "    metrics:",
    "      level: none",
    "  pipelines:",
    "    traces:",
    "      receivers: [otlp]",
    "      exporters: [file]",
    "",
  ].join("\n");
}

/** Whether the HTTP receiver accepts an empty OTLP/JSON export request (which exports nothing). */
async function acceptsExport(otlpHttpUrl: string): Promise<boolean> {
  const response = await fetch(`${otlpHttpUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(2_000),
  });
  await response.body?.cancel();
  return response.ok;
}

/** OTLP JSON `AnyValue`. */
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: unknown;
  kvlistValue?: unknown;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
}
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

/**
 * The spans of every complete line (one `ExportTraceServiceRequest` each); a last line the
 * exporter has not finished writing is left for the next read.
 */
export function parseSpanLines(text: string): ExportedSpan[] {
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  return complete
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => spansOf(JSON.parse(line) as ExportRequest));
}

function spansOf(request: ExportRequest): ExportedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributeMap(resourceSpans.resource?.attributes);
    const serviceName = resource["service.name"];
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map(
        (span): ExportedSpan => ({
          traceId: (span.traceId ?? "").toLowerCase(),
          spanId: (span.spanId ?? "").toLowerCase(),
          parentSpanId: (span.parentSpanId ?? "").toLowerCase(),
          name: span.name ?? "",
          kind: span.kind ?? 0,
          serviceName: typeof serviceName === "string" ? serviceName : "",
          attributes: attributeMap(span.attributes),
          startTimeUnixNano: BigInt(span.startTimeUnixNano ?? 0),
          endTimeUnixNano: BigInt(span.endTimeUnixNano ?? 0),
          status: {
            code: span.status?.code ?? 0,
            ...(span.status?.message ? { message: span.status.message } : {}),
          },
        }),
      ),
    );
  });
}

function attributeMap(attributes: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const map: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) map[key] = scalar(value ?? {});
  return map;
}

function scalar(value: AnyValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  // OTLP JSON writes NaN and the infinities as strings.
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return JSON.stringify(value.arrayValue);
  if (value.kvlistValue !== undefined) return JSON.stringify(value.kvlistValue);
  return "";
}
