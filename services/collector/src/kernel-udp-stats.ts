import { readFileSync } from "node:fs";

/** Kernel UDP receive counters (host-wide, since boot). */
export interface KernelUdpStats {
  readonly inDatagrams: number;
  readonly inErrors: number;
  readonly rcvbufErrors: number;
}

/**
 * Parses the `Udp:` lines of `/proc/net/snmp` (a header line of names, then a line of
 * values). Returns undefined when the text has no such lines.
 */
export function parseProcNetSnmp(text: string): KernelUdpStats | undefined {
  const lines = text.split("\n").filter((l) => l.startsWith("Udp:"));
  const names = lines[0]?.split(/\s+/).slice(1);
  const values = lines[1]?.split(/\s+/).slice(1).map(Number);
  if (names === undefined || values === undefined) return undefined;
  const get = (name: string) => values[names.indexOf(name)] ?? 0;
  return { inDatagrams: get("InDatagrams"), inErrors: get("InErrors"), rcvbufErrors: get("RcvbufErrors") };
}

/**
 * Reads the kernel counters; undefined where `/proc/net/snmp` does not exist (Windows, macOS).
 * posix-only: a Linux file read without a platform check: elsewhere it is absent, so no metric.
 */
export function readKernelUdpStats(path = "/proc/net/snmp"): KernelUdpStats | undefined {
  try {
    return parseProcNetSnmp(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}
