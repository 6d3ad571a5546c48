import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MsgHdrsImpl } from "@nats-io/transport-node";
import { parseHeaderBlock } from "./nats-header-block.ts";

/** What the client's own parser reads from a block: every name with its first value. */
function clientView(block: Uint8Array): Map<string, string> {
  const h = MsgHdrsImpl.decode(block);
  return new Map(h.keys().map((name) => [name, h.get(name)]));
}

describe("parseHeaderBlock", () => {
  it("reads names exactly, trims values, keeps the first of repeated names, skips the status line", () => {
    const block = Buffer.from(
      "NATS/1.0\r\nNats-Msg-Id: 0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20\r\nlangtian-source-system:  plant-ä/línea 3 \r\n" +
        "langtian-partition-key: dev 8: north\r\ntraceparent: a\r\ntraceparent: b\r\nempty:\r\nno colon\r\n\r\n",
    );
    const parsed = parseHeaderBlock(block);
    assert.deepEqual(
      [...parsed],
      [
        ["Nats-Msg-Id", "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20"],
        ["langtian-source-system", "plant-ä/línea 3"],
        ["langtian-partition-key", "dev 8: north"],
        ["traceparent", "a"],
        ["empty", ""],
      ],
    );
    assert.deepEqual(parsed, clientView(block));
  });

  it("reads a block with a status and none at all", () => {
    assert.deepEqual([...parseHeaderBlock(Buffer.from("NATS/1.0 100 Idle Heartbeat\r\n\r\n"))], []);
    assert.deepEqual([...parseHeaderBlock(Buffer.from("NATS/1.0"))], []);
    assert.deepEqual([...parseHeaderBlock(new Uint8Array())], []);
  });

  it("reads a block that is a slice of a larger buffer", () => {
    const whole = Buffer.from("xxNATS/1.0\r\na: 1\r\n\r\npayload");
    assert.deepEqual([...parseHeaderBlock(whole.subarray(2, 21))], [["a", "1"]]);
  });
});
