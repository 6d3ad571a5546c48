import type { EventStreamSettings } from "@langtian/collector";
import { uniqueName } from "@langtian/testing";

/**
 * The stream configuration every collector benchmark publishes into (the collector, `nats
 * bench` and the publish floor alike), so their figures compare like with like.
 */
export function benchStreamSettings(replicas: number, prefix = "bench"): EventStreamSettings {
  const name = uniqueName(prefix);
  return {
    name: name.toUpperCase(),
    subjectPrefix: `${name}.events`,
    replicas,
    duplicateWindowMs: 120_000,
    maxBytes: 1024 ** 3,
    maxAgeMs: 0,
    maxMsgs: 0,
    maxMsgBytes: 1024 * 1024,
  };
}

/** Options of one device-simulator run offering device frames to a collector. */
export interface SimulatorRun {
  readonly simulatorMain: string;
  readonly udpPort: number;
  readonly count: number;
  readonly rate: number;
  readonly devices: number;
  readonly startSequence?: number;
}

/** The node arguments that start the device simulator for one run. */
export function simulatorArgs(run: SimulatorRun): string[] {
  const args = [
    run.simulatorMain,
    "--target",
    `127.0.0.1:${run.udpPort}`,
    "--format",
    "device-frame",
    "--count",
    String(run.count),
    "--rate",
    String(run.rate),
    "--devices",
    String(run.devices),
  ];
  if (run.startSequence !== undefined) args.push("--start-sequence", String(run.startSequence));
  return args;
}

/** Sum of every series of a metric in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
