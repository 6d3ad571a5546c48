import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createLogger } from "./logger.ts";

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("createLogger", () => {
  it("binds service, instance id and version to every line", () => {
    const out = capture();
    const logger = createLogger({
      service: "bridge",
      instanceId: "i-1",
      version: "1.0.0",
      destination: out.stream,
    });
    logger.child({ component: "sink" }).info("hello");
    const [line] = out.lines();
    assert.equal(line?.service, "bridge");
    assert.equal(line?.instanceId, "i-1");
    assert.equal(line?.version, "1.0.0");
    assert.equal(line?.component, "sink");
    assert.equal(line?.msg, "hello");
  });

  it("redacts secret config paths at the top level, under config and one level down", () => {
    const out = capture();
    const logger = createLogger({
      service: "s",
      instanceId: "i",
      version: "v",
      secretPaths: ["operatorToken", "lake.s3.secretKey"],
      destination: out.stream,
    });
    logger.info(
      { config: { operatorToken: "tok-123", lake: { s3: { secretKey: "sk-1", region: "r" } } } },
      "config",
    );
    logger.info({ operatorToken: "tok-456" }, "top");
    logger.info({ req: { headers: { authorization: "Bearer tok-789" } } }, "req");
    const text = JSON.stringify(out.lines());
    assert.doesNotMatch(text, /tok-123|tok-456|tok-789|sk-1/);
    assert.match(text, /"region":"r"/);
    assert.match(text, /\[redacted\]/);
  });

  it("respects the level", () => {
    const out = capture();
    const logger = createLogger({
      service: "s",
      instanceId: "i",
      version: "v",
      level: "warn",
      destination: out.stream,
    });
    logger.info("dropped");
    logger.warn("kept");
    assert.deepEqual(
      out.lines().map((l) => l.msg),
      ["kept"],
    );
  });
});
