/**
 * The shared edge test: sends garbage to every RPC of a service app (random bytes, truncated
 * protobuf, bad JSON, unknown JSON fields, a wrong content type, over Connect, gRPC-Web and
 * gRPC) and checks that each is refused with a client-error Connect code (never a 5xx) and
 * counted once in `rpc_requests_refused_total`. Each service calls it with its app from
 * `createApp`, in memory (`fastify.inject`).
 */
import assert from "node:assert/strict";
import type { DescService } from "@bufbuild/protobuf";
import type { Code } from "@connectrpc/connect";
import { codeFromString, codeToString } from "@connectrpc/connect/protocol-connect";
import { procedurePath } from "../connect-edge.ts";
import { REFUSAL_CODES } from "../rpc-refusals.ts";
import type { ServiceApp } from "../service-app.ts";

/** One garbage request and how the edge answered it. */
export interface GarbageProbe {
  readonly procedure: string;
  readonly name: string;
  readonly status: number;
  /** Connect code name of the answer, e.g. `invalid_argument`. */
  readonly code: string;
  /** The `reason` label the refusal was counted under. */
  readonly reason: string;
}

/** Options of {@link probeEdgeWithGarbage}. */
export interface GarbageOptions {
  /** Headers sent with every request (e.g. credentials, so the body is read at all). */
  readonly headers?: Readonly<Record<string, string>>;
}

interface GarbageCase {
  readonly name: string;
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly protocol: "connect" | "grpc-web" | "grpc";
}

const utf8 = new TextEncoder();

/** Bytes that never parse as protobuf: field 0 with wire type 7 first, then noise. */
function randomProtobufGarbage(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out[0] = 0x07;
  return out;
}

/** Field 15, length-delimited, announcing 100 bytes and carrying 2: a cut-off message. */
const TRUNCATED_PROTOBUF = Uint8Array.of(0x7a, 0x64, 0x01, 0x02);

/** A gRPC / gRPC-Web data frame around `message`. */
function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

const CASES: readonly GarbageCase[] = [
  {
    name: "random bytes",
    contentType: "application/proto",
    body: randomProtobufGarbage(7, 512),
    protocol: "connect",
  },
  {
    name: "truncated protobuf",
    contentType: "application/proto",
    body: TRUNCATED_PROTOBUF,
    protocol: "connect",
  },
  { name: "bad JSON", contentType: "application/json", body: utf8.encode('{"'), protocol: "connect" },
  {
    name: "unknown JSON field",
    contentType: "application/json",
    body: utf8.encode('{"noSuchFieldAnywhere": 1}'),
    protocol: "connect",
  },
  { name: "wrong content type", contentType: "text/plain", body: utf8.encode("hello"), protocol: "connect" },
  {
    name: "gRPC-Web random bytes",
    contentType: "application/grpc-web+proto",
    body: frame(randomProtobufGarbage(11, 256)),
    protocol: "grpc-web",
  },
  {
    name: "gRPC truncated protobuf",
    contentType: "application/grpc+proto",
    body: frame(TRUNCATED_PROTOBUF),
    protocol: "grpc",
  },
];

/**
 * Sends every garbage case to every method of `services` on `app` and asserts, for each,
 * a refusal code (4xx for Connect, the same codes in `grpc-status` for gRPC and gRPC-Web)
 * and exactly one more `rpc_requests_refused_total` for that procedure. Returns the probes.
 */
export async function probeEdgeWithGarbage(
  app: Pick<ServiceApp, "fastify" | "metrics">,
  services: readonly DescService[],
  options: GarbageOptions = {},
): Promise<GarbageProbe[]> {
  const probes: GarbageProbe[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const procedure = procedurePath(method);
      for (const c of CASES) {
        const before = await refusedSeries(app, procedure);
        const response = await app.fastify.inject({
          method: "POST",
          url: procedure,
          headers: { ...options.headers, "content-type": c.contentType },
          payload: Buffer.from(c.body),
        });
        const what = `${procedure} with ${c.name}`;
        const code = answeredCode(c.protocol, response);
        assert.ok(
          code !== undefined,
          `${what}: no Connect code in the answer (${response.statusCode} ${response.body})`,
        );
        assert.ok(
          REFUSAL_CODES.has(code.code),
          `${what}: answered ${code.name}, not a refusal (${response.body})`,
        );
        if (c.protocol === "connect") {
          assert.ok(
            response.statusCode >= 400 && response.statusCode < 500,
            `${what}: HTTP ${response.statusCode}, expected 4xx`,
          );
        }
        const after = await refusedSeries(app, procedure);
        const moved = [...after].filter(([labels, value]) => value > (before.get(labels) ?? 0));
        const total =
          [...after.values()].reduce((a, b) => a + b, 0) - [...before.values()].reduce((a, b) => a + b, 0);
        assert.equal(total, 1, `${what}: rpc_requests_refused_total moved by ${total}, expected 1`);
        const [labels] = moved[0] ?? assert.fail(`${what}: no refusal series moved`);
        const parsed = JSON.parse(labels) as { code: string; reason: string };
        assert.equal(
          parsed.code,
          code.name,
          `${what}: counted under code ${parsed.code}, answered ${code.name}`,
        );
        probes.push({
          procedure,
          name: c.name,
          status: response.statusCode,
          code: code.name,
          reason: parsed.reason,
        });
      }
    }
  }
  return probes;
}

interface InjectedAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, unknown>;
  readonly trailers: Record<string, unknown>;
  readonly rawPayload: Buffer;
  readonly body: string;
}

function answeredCode(
  protocol: GarbageCase["protocol"],
  r: InjectedAnswer,
): { code: Code; name: string } | undefined {
  if (protocol === "connect") {
    let name: unknown;
    try {
      name = (JSON.parse(r.body) as { code?: unknown }).code;
    } catch {
      return undefined;
    }
    const code = typeof name === "string" ? codeFromString(name) : undefined;
    return code === undefined ? undefined : { code, name: name as string };
  }
  const status =
    r.headers["grpc-status"] ??
    r.trailers["grpc-status"] ??
    (protocol === "grpc-web" ? webTrailerStatus(r.rawPayload) : undefined);
  if (status === undefined) return undefined;
  // gRPC status numbers are Connect's code numbers.
  const code = Number(status) as Code;
  return { code, name: codeToString(code) };
}

/** The `grpc-status` of a gRPC-Web body's trailer frame (flag 0x80). */
function webTrailerStatus(body: Buffer): string | undefined {
  let offset = 0;
  while (offset + 5 <= body.length) {
    const flags = body[offset] ?? 0;
    const length = body.readUInt32BE(offset + 1);
    const data = body.subarray(offset + 5, offset + 5 + length).toString("utf8");
    if ((flags & 0x80) !== 0) return /grpc-status:\s*(\d+)/i.exec(data)?.[1];
    offset += 5 + length;
  }
  return undefined;
}

/** The refusal counter's series for one procedure, keyed by their `{code, reason}` labels. */
async function refusedSeries(
  app: Pick<ServiceApp, "metrics">,
  procedure: string,
): Promise<Map<string, number>> {
  const metric = app.metrics.registry.getSingleMetric(`${app.metrics.prefix}rpc_requests_refused_total`);
  assert.ok(metric, "rpc_requests_refused_total is not registered");
  const out = new Map<string, number>();
  for (const v of (await metric.get()).values) {
    if (v.labels.procedure !== procedure) continue;
    out.set(JSON.stringify({ code: v.labels.code, reason: v.labels.reason }), v.value);
  }
  return out;
}
