import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLogLine, resolveLogOutput } from "./pretty-log.ts";

/** An ISO time whose local clock reads 09:05:07.042, whatever the machine's time zone. */
const time = new Date(2026, 11, 2, 9, 5, 7, 42).toISOString();

/** A pino line as the service kit's logger writes it, with `fields` added. */
function pinoLine(level: number, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    level,
    time,
    service: "bridge",
    instanceId: "bridge-7f3a",
    version: "0.1.0",
    ...fields,
    msg,
  });
}

describe("formatLogLine", () => {
  it("prints name, local time, level, message, then the other fields as key=value", () => {
    const line = pinoLine(30, "bridge listening", {
      url: "http://127.0.0.1:4102",
      partitions: 3,
      ready: true,
      note: "two words",
      empty: "",
      nothing: null,
      config: { stream: "EDA_EVENTS", topics: ["eda.events"] },
    });
    assert.equal(
      formatLogLine("bridge", line, { color: false }),
      '[bridge] 09:05:07.042 INFO  bridge listening url=http://127.0.0.1:4102 partitions=3 ready=true note="two words" empty="" nothing=null config={"stream":"EDA_EVENTS","topics":["eda.events"]}',
    );
  });

  it("colours the level: trace and debug dim, info green, warn yellow, error and fatal red", () => {
    const cases: [number, string][] = [
      [10, "\x1b[2mTRACE\x1b[0m"],
      [20, "\x1b[2mDEBUG\x1b[0m"],
      [30, "\x1b[32mINFO \x1b[0m"],
      [40, "\x1b[33mWARN \x1b[0m"],
      [50, "\x1b[31mERROR\x1b[0m"],
      [60, "\x1b[31mFATAL\x1b[0m"],
    ];
    for (const [level, shown] of cases) {
      assert.equal(
        formatLogLine("bridge", pinoLine(level, "m"), { color: true }),
        `[bridge] 09:05:07.042 ${shown} m`,
      );
    }
  });

  it("has no escape codes without colour", () => {
    const printed = formatLogLine("bridge", pinoLine(50, "failed"), { color: false });
    assert.equal(printed, "[bridge] 09:05:07.042 ERROR failed");
    assert.ok(!printed.includes("\x1b"), "no escape code");
  });

  it("prints an err as its message and the first frame of its stack", () => {
    const err = {
      type: "Error",
      message: "connect ECONNREFUSED 127.0.0.1:4222",
      stack:
        "Error: connect ECONNREFUSED 127.0.0.1:4222\n    at TCPConnectWrap.afterConnect (node:net:1637:16)\n    at next (x.ts:1:1)",
      code: "ECONNREFUSED",
    };
    assert.equal(
      formatLogLine("bridge", pinoLine(50, "fetch loop ended with an error", { err, bucket: "cfg" }), {
        color: false,
      }),
      '[bridge] 09:05:07.042 ERROR fetch loop ended with an error err="connect ECONNREFUSED 127.0.0.1:4222 (at TCPConnectWrap.afterConnect (node:net:1637:16))" bucket=cfg',
    );
    assert.equal(
      formatLogLine("bridge", pinoLine(40, "m", { err: { message: "gone" } }), { color: false }),
      "[bridge] 09:05:07.042 WARN  m err=gone",
    );
  });

  it("keeps one line per event and shows a service binding that differs from the name", () => {
    assert.equal(
      formatLogLine("stack-bridge", pinoLine(30, "first\nsecond", { text: "a\nb" }), { color: false }),
      '[stack-bridge] 09:05:07.042 INFO  first\\nsecond text="a\\nb" service=bridge',
    );
  });

  it("reads epoch-millisecond times too", () => {
    const line = JSON.stringify({ level: 30, time: new Date(time).getTime(), msg: "m" });
    assert.equal(formatLogLine("x", line, { color: false }), "[x] 09:05:07.042 INFO  m");
  });

  it("prints lines that are not pino JSON as they are", () => {
    for (const line of [
      "plain text",
      "",
      "{ not json",
      '{"report":{"sent":10}}',
      "[1,2]",
      "  at something (x.ts:1:1)",
    ]) {
      assert.equal(formatLogLine("device-simulator", line, { color: true }), `[device-simulator] ${line}`);
    }
  });
});

describe("resolveLogOutput", () => {
  it("is pretty with colours on a terminal, JSON elsewhere", () => {
    assert.deepEqual(resolveLogOutput({ argv: [], env: {}, isTTY: true }), { format: "pretty", color: true });
    assert.deepEqual(resolveLogOutput({ argv: [], env: {}, isTTY: false }), { format: "json", color: false });
  });

  it("gives JSON when asked by flag or environment", () => {
    assert.equal(resolveLogOutput({ argv: ["--json-logs"], env: {}, isTTY: true }).format, "json");
    assert.equal(
      resolveLogOutput({ argv: [], env: { LANGTIAN_STACK_LOG_FORMAT: "json" }, isTTY: true }).format,
      "json",
    );
    assert.equal(
      resolveLogOutput({ argv: ["--json-logs"], env: { LANGTIAN_STACK_LOG_FORMAT: "pretty" }, isTTY: true })
        .format,
      "json",
    );
  });

  it("forces pretty without a terminal, then without colours", () => {
    assert.deepEqual(
      resolveLogOutput({ argv: [], env: { LANGTIAN_STACK_LOG_FORMAT: "pretty" }, isTTY: false }),
      {
        format: "pretty",
        color: false,
      },
    );
  });

  it("turns colours off with NO_COLOR (set and not empty)", () => {
    assert.equal(resolveLogOutput({ argv: [], env: { NO_COLOR: "1" }, isTTY: true }).color, false);
    assert.equal(resolveLogOutput({ argv: [], env: { NO_COLOR: "" }, isTTY: true }).color, true);
  });

  it("refuses an unknown LANGTIAN_STACK_LOG_FORMAT", () => {
    assert.throws(
      () => resolveLogOutput({ argv: [], env: { LANGTIAN_STACK_LOG_FORMAT: "text" }, isTTY: true }),
      /LANGTIAN_STACK_LOG_FORMAT=text: expected json or pretty/,
    );
  });
});
