import { parseArgs } from "node:util";
import { DEVICE_FORMATS, type DeviceFormat } from "./device-messages.ts";
import { runSimulator } from "./device-simulator.ts";
import { startSequenceOf } from "./start-sequence.ts";

// Device simulator CLI: sends datagrams to a collector and prints a JSON report per round.
// node services/collector/src/simulator/main.ts --target 127.0.0.1:7401 --format json --count 1000 --rate 500
// Without arguments it reads them from LANGTIAN_SIMULATOR_ARGS (how `npm run stack` starts it).
// `--start-sequence clock` continues each device's sequence from the wall clock (see
// start-sequence.ts): what `npm run stack` uses, so a restarted stack sends no id twice.
const args =
  process.argv.length > 2
    ? process.argv.slice(2)
    : (process.env.LANGTIAN_SIMULATOR_ARGS ?? "").split(/\s+/).filter(Boolean);
const { values } = parseArgs({
  args,
  options: {
    target: { type: "string", default: "127.0.0.1:7401" },
    format: { type: "string", default: "json" },
    count: { type: "string", default: "1000" },
    rate: { type: "string", default: "0" },
    devices: { type: "string", default: "10" },
    "start-sequence": { type: "string", default: "1" },
    garbage: { type: "string", default: "0" },
    retransmit: { type: "string", default: "0" },
    seed: { type: "string", default: "1" },
    forever: { type: "boolean", default: false },
  },
});

const separator = values.target.lastIndexOf(":");
const host = values.target.slice(0, separator).replace(/^\[|\]$/g, "");
const port = Number(values.target.slice(separator + 1));
if (!DEVICE_FORMATS.includes(values.format as DeviceFormat) || !(port > 0) || separator < 0) {
  console.error(`usage: --target host:port --format ${DEVICE_FORMATS.join("|")} --count N --rate N/s`);
  process.exit(2);
}
const controller = new AbortController();
process.once("SIGINT", () => controller.abort());
process.once("SIGTERM", () => controller.abort());
let startSequence: number;
try {
  startSequence = startSequenceOf(values["start-sequence"], Number(values.rate), Number(values.devices));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
do {
  const report = await runSimulator({
    host,
    port,
    format: values.format as DeviceFormat,
    count: Number(values.count),
    ratePerSec: Number(values.rate),
    devices: Number(values.devices),
    startSequence,
    garbageShare: Number(values.garbage),
    retransmitShare: Number(values.retransmit),
    seed: Number(values.seed),
    signal: controller.signal,
  });
  console.log(JSON.stringify(report));
  startSequence += Math.ceil(Number(values.count) / Number(values.devices));
} while (values.forever && !controller.signal.aborted);
