import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDeviceMessageEncoder, DEVICE_FORMATS, encodeDeviceMessage } from "./device-messages.ts";

describe("device message encoder", () => {
  it("writes the same bytes as encodeDeviceMessage for every format, device and sequence", () => {
    for (const format of DEVICE_FORMATS) {
      const encode = createDeviceMessageEncoder(format);
      for (const [i, sequence] of [
        1,
        2,
        255,
        256,
        2 ** 32 - 1,
        2 ** 32 + 7,
        Number.MAX_SAFE_INTEGER,
      ].entries()) {
        const message = {
          deviceId: `sim-${i % 3}`,
          sequence,
          timestampMs: 1_790_000_000_123 + i,
          temperature: 20 + i / 7,
        };
        assert.deepEqual(encode(message), encodeDeviceMessage(format, message), `${format} #${sequence}`);
      }
    }
  });

  it("falls back to the full encoder for values a template cannot patch", () => {
    const encode = createDeviceMessageEncoder("device-frame");
    const message = { deviceId: "sim-1", sequence: 5, timestampMs: -1, temperature: 21 };
    assert.deepEqual(encode(message), encodeDeviceMessage("device-frame", message));
  });
});
