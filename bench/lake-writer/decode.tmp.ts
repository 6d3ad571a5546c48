import { decodeEnvelope, decodePayload, devicePayloadRegistry, validateEnvelope } from "@langtian/envelope";
import { readEnvelope } from "../../services/lake-writer/src/tables/read-envelope.ts";
import { telemetryEvents } from "../../services/lake-writer/src/testing/test-events.ts";

const events = telemetryEvents(100000).map((e) => e.value);
const lim = { limits: { maxFutureSkewMs: Infinity, maxPastAgeMs: Infinity } };
const env = events.map((b) => decodeEnvelope(b));
const fns: Record<string, () => void> = {
  fromBinary: () => {
    for (const b of events) decodeEnvelope(b);
  },
  readEnvelope: () => {
    for (const b of events) readEnvelope(b);
  },
  validate: () => {
    for (const e of env) validateEnvelope(e, lim);
  },
  payload: () => {
    for (const e of env) decodePayload(e, devicePayloadRegistry);
  },
};
const best: Record<string, number> = {};
for (let r = 0; r < 7; r++)
  for (const [k, f] of Object.entries(fns)) {
    const t = performance.now();
    f();
    const us = ((performance.now() - t) * 1000) / events.length;
    best[k] = Math.min(best[k] ?? Infinity, us);
  }
console.log(
  JSON.stringify(Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Number(v.toFixed(2))]))),
);
