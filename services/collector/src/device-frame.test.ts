import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DeviceFrame, DeviceFrameError, decodeDeviceFrame, encodeDeviceFrame } from "./device-frame.ts";

const frame: DeviceFrame = {
  deviceId: "pump-7",
  sequence: 2n ** 63n + 5n,
  timestampMs: 1_790_000_000_123,
  readings: [
    { name: "temperature", type: "float64", value: 21.5 },
    { name: "count", type: "int64", value: -42n },
    { name: "open", type: "bool", value: true },
    { name: "mode", type: "string", value: "auto" },
  ],
};

function reasonOf(bytes: Uint8Array): string {
  try {
    decodeDeviceFrame(bytes);
  } catch (err) {
    assert.ok(err instanceof DeviceFrameError);
    return err.reason;
  }
  return "ok";
}

describe("device frame codec", () => {
  it("round-trips every reading type and a full 64-bit sequence", () => {
    assert.deepEqual(decodeDeviceFrame(encodeDeviceFrame(frame)), frame);
  });

  it("rejects a flipped byte as a CRC mismatch", () => {
    const bytes = encodeDeviceFrame(frame);
    bytes[10] = (bytes[10] as number) ^ 0xff;
    assert.equal(reasonOf(bytes), "bad_crc");
  });

  it("rejects every truncation without throwing anything but a DeviceFrameError", () => {
    const bytes = encodeDeviceFrame(frame);
    for (let n = 0; n < bytes.length; n++) assert.notEqual(reasonOf(bytes.subarray(0, n)), "ok");
  });

  it("names bad magic and unknown versions", () => {
    const bytes = encodeDeviceFrame(frame);
    const magic = bytes.slice();
    magic[0] = 0;
    assert.equal(reasonOf(magic), "bad_magic");
    const version = bytes.slice();
    version[2] = 9;
    assert.equal(reasonOf(version), "unsupported_version");
  });
});
