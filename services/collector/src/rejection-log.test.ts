import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRejectionLog, formatSource, sampleOf } from "./rejection-log.ts";

describe("rejection log", () => {
  it("samples mostly-printable input as escaped text and binary input as hex, truncated", () => {
    assert.deepEqual(sampleOf(new TextEncoder().encode('{"a":1\n\\'), 64), {
      bytes: 8,
      sample: '{"a":1\\n\\\\',
      sampleEncoding: "text",
      truncated: false,
    });
    assert.deepEqual(sampleOf(Uint8Array.of(0x01, 0xff, 0x00, 0x7a), 3), {
      bytes: 4,
      sample: "01ff00",
      sampleEncoding: "hex",
      truncated: true,
    });
    const long = sampleOf(new TextEncoder().encode("x".repeat(500)), 64);
    assert.equal(long.sample.length, 64);
    assert.equal(long.truncated, true);
  });

  it("names the source as address:port, IPv6 in brackets", () => {
    assert.equal(formatSource({ address: "10.0.0.7", port: 5000 }), "10.0.0.7:5000");
    assert.equal(formatSource({ address: "::1", port: 5000 }), "[::1]:5000");
    assert.equal(formatSource("192.0.2.1:443"), "192.0.2.1:443");
    assert.equal(formatSource(undefined), undefined);
  });

  it("writes reason, detail, source and sample, limited per path and reason", () => {
    const lines: Record<string, unknown>[] = [];
    const log = createRejectionLog(
      { warn: (obj) => lines.push(obj as Record<string, unknown>) },
      { maxLinesPerInterval: 2, intervalMs: 60_000 },
    );
    const input = new TextEncoder().encode("not json");
    for (let i = 0; i < 5; i++) {
      log({
        path: "udp",
        listener: "json",
        reason: "malformed_json",
        detail: "Unexpected token",
        input,
        source: { address: "127.0.0.1", port: 9 },
      });
    }
    log({
      path: "push",
      listener: "/v1/events",
      reason: "malformed_json",
      detail: "x",
      input,
      source: "127.0.0.1:1234",
    });
    assert.equal(lines.length, 3, "2 UDP lines, then the push line (its own limit)");
    assert.deepEqual(
      { ...lines[0] },
      {
        key: "udp:malformed_json",
        path: "udp",
        listener: "json",
        reason: "malformed_json",
        detail: "Unexpected token",
        source: "127.0.0.1:9",
        bytes: 8,
        sample: "not json",
        sampleEncoding: "text",
        truncated: false,
      },
    );
    log.close();
    assert.equal(lines.at(-1)?.suppressed, 3);
  });
});
