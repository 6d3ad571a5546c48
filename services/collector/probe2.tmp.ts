import { validateEnvelope } from "@langtian/envelope";
import { createDefaultDecoders } from "./src/decoders/index.ts";
import { decodeDeviceFrame } from "./src/device-frame.ts";
import { buildEnvelope } from "./src/envelope-builder.ts";
import { encodeEnvelopeFast } from "./src/proto-writer.ts";
import { encodeDeviceMessage } from "./src/simulator/device-messages.ts";

const d = createDefaultDecoders().get("device-frame")!;
const frames = Array.from({ length: 20000 }, (_, i) =>
  encodeDeviceMessage("device-frame", {
    deviceId: `d${i % 50}`,
    sequence: i,
    timestampMs: Date.now(),
    temperature: 20,
  }),
);
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  frames.forEach((f) => decodeDeviceFrame(f));
  const a = performance.now() - t;
  t = performance.now();
  const decoded = frames.map((f) => d.decode(f));
  const b = performance.now() - t;
  t = performance.now();
  const envs = decoded.map((e) =>
    buildEnvelope(e, { eventType: "device.telemetry", sourceSystem: "x", schemaVersion: "1.0" }, Date.now()),
  );
  const c = performance.now() - t;
  t = performance.now();
  envs.forEach((e) => validateEnvelope(e));
  const v = performance.now() - t;
  t = performance.now();
  envs.forEach((e) => encodeEnvelopeFast(e));
  console.log({
    frameDecodeUs: a / 20,
    decoderUs: b / 20,
    buildUs: c / 20,
    validateUs: v / 20,
    encodeUs: (performance.now() - t) / 20,
  });
}
