import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { describe, it } from "node:test";
import { type ExportedSpan, parseSpanLines, startOtelCollector } from "./otel-collector.ts";
import { canListen } from "./ports.ts";
import { tempDir } from "./temp.ts";

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** The TCP ports `pid` listens on (Linux: its socket inodes matched in /proc/net/tcp and tcp6). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      const target = (() => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return "";
        }
      })();
      const match = /^socket:\[(\d+)\]$/.exec(target);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  const ports = ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((table) =>
    readFileSync(table, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // Columns: sl, local address:port (hex), remote, state (0A is LISTEN), ..., inode (10th).
      .filter((cols) => cols[3] === "0A" && inodes.has(cols[9] ?? ""))
      .map((cols) => Number.parseInt(cols[1]?.split(":")[1] ?? "", 16)),
  );
  return [...new Set(ports)].sort((a, b) => a - b);
}

describe("startOtelCollector", () => {
  it("writes the spans of an OTLP/HTTP JSON export to its file, listens on its two free ports only, and stop() ends it", async () => {
    const collector = await startOtelCollector({ dir: tempDir("otel-collector") });
    const httpPort = Number(new URL(collector.otlpHttpUrl).port);
    const grpcPort = Number(new URL(collector.otlpGrpcUrl).port);
    try {
      if (process.platform === "linux") {
        // No fixed port of the collector's own (metrics on 8888): exactly the two receivers.
        assert.deepEqual(
          listeningPorts(collector.pid),
          [httpPort, grpcPort].sort((a, b) => a - b),
        );
      }
      const traceId = hex(16);
      const parentId = hex(8);
      const childId = hex(8);
      const response = await fetch(`${collector.otlpHttpUrl}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [{ key: "service.name", value: { stringValue: "probe" } }] },
              scopeSpans: [
                {
                  scope: { name: "otel-collector-test" },
                  spans: [
                    {
                      traceId,
                      spanId: parentId,
                      name: "GET /events",
                      kind: 2,
                      startTimeUnixNano: "1764720000000000000",
                      endTimeUnixNano: "1764720000250000000",
                      attributes: [
                        { key: "http.route", value: { stringValue: "/events" } },
                        { key: "http.response.status_code", value: { intValue: "200" } },
                        { key: "cache.hit", value: { boolValue: true } },
                        { key: "load", value: { doubleValue: 0.5 } },
                      ],
                      status: { code: 1 },
                    },
                    {
                      traceId,
                      spanId: childId,
                      parentSpanId: parentId,
                      name: "lake query",
                      kind: 3,
                      startTimeUnixNano: "1764720000010000000",
                      endTimeUnixNano: "1764720000200000000",
                      attributes: [{ key: "db.system", value: { stringValue: "duckdb" } }],
                      status: { code: 2, message: "catalog busy" },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      assert.equal(response.status, 200, await response.text());

      const spans = await collector.waitForSpans(
        (all) => all.filter((span) => span.traceId === traceId).length >= 2,
      );
      const byId = new Map(spans.filter((span) => span.traceId === traceId).map((s) => [s.spanId, s]));
      assert.deepEqual(byId.get(parentId), {
        traceId,
        spanId: parentId,
        parentSpanId: "",
        name: "GET /events",
        kind: 2,
        serviceName: "probe",
        attributes: {
          "http.route": "/events",
          "http.response.status_code": 200,
          "cache.hit": true,
          load: 0.5,
        },
        startTimeUnixNano: 1764720000000000000n,
        endTimeUnixNano: 1764720000250000000n,
        status: { code: 1 },
      } satisfies ExportedSpan);
      assert.deepEqual(byId.get(childId), {
        traceId,
        spanId: childId,
        parentSpanId: parentId,
        name: "lake query",
        kind: 3,
        serviceName: "probe",
        attributes: { "db.system": "duckdb" },
        startTimeUnixNano: 1764720000010000000n,
        endTimeUnixNano: 1764720000200000000n,
        status: { code: 2, message: "catalog busy" },
      } satisfies ExportedSpan);
      assert.equal(byId.size, 2);
    } finally {
      await collector.stop();
    }
    assert.equal(await canListen(httpPort), true, "the HTTP receiver's port is closed after stop()");
    assert.equal(await canListen(grpcPort), true, "the gRPC receiver's port is closed after stop()");
    assert.throws(() => process.kill(collector.pid, 0), { code: "ESRCH" });
  });

  it("reads only complete lines, so a line the exporter is still writing waits for the next read", () => {
    const line = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [{ spans: [{ traceId: "AB".repeat(16), spanId: "CD".repeat(8), name: "s" }] }],
        },
      ],
    });
    assert.deepEqual(parseSpanLines(`${line}\n${line.slice(0, 20)}`), [
      {
        traceId: "ab".repeat(16),
        spanId: "cd".repeat(8),
        parentSpanId: "",
        name: "s",
        kind: 0,
        serviceName: "",
        attributes: {},
        startTimeUnixNano: 0n,
        endTimeUnixNano: 0n,
        status: { code: 0 },
      } satisfies ExportedSpan,
    ]);
    assert.deepEqual(parseSpanLines(line.slice(0, 20)), []);
  });
});
