import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpuSeconds } from "../src/proc-cpu.ts";

/** A service of the pipeline and the processes it runs as. */
export interface ServiceProcesses {
  readonly name: string;
  readonly pids: readonly number[];
}

/** CPU and memory of one service over a window. */
export interface ServiceUsage {
  /** CPU time over wall time, in % of one core (all threads; 200 = both cores of this box). */
  readonly cpuPercentOfCore: number;
  readonly rssMiB: { readonly mean: number; readonly peak: number };
}

/** Resident set size of a live process, in bytes, from /proc (Linux only); 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const line = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return Number(line?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Pids of the processes whose command line mentions `text` (e.g. a server's own data folder). */
export function pidsMentioning(text: string): number[] {
  try {
    return execFileSync("pgrep", ["-f", text], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map(Number)
      .filter((pid) => pid !== process.pid && Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

function cpuOf(pids: readonly number[]): number {
  let seconds = 0;
  for (const pid of pids) {
    try {
      seconds += cpuSeconds(pid);
    } catch {
      // Exited: its CPU is no longer readable.
    }
  }
  return seconds;
}

/**
 * Measures each service's CPU (from /proc/<pid>/stat deltas) and RSS (/proc/<pid>/status,
 * sampled every 500 ms) from now until `stop()`.
 */
export function measureUsage(services: readonly ServiceProcesses[]): {
  stop(): Record<string, ServiceUsage>;
} {
  const started = performance.now();
  const cpuStart = services.map((s) => cpuOf(s.pids));
  const rss = services.map(() => ({ sum: 0, samples: 0, peak: 0 }));
  const sample = () => {
    services.forEach((s, i) => {
      const bytes = s.pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
      const r = rss[i];
      if (r === undefined) return;
      r.sum += bytes;
      r.samples++;
      r.peak = Math.max(r.peak, bytes);
    });
  };
  sample();
  const timer = setInterval(sample, 500);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const seconds = (performance.now() - started) / 1000;
      const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
      return Object.fromEntries(
        services.map((s, i) => {
          const r = rss[i] ?? { sum: 0, samples: 1, peak: 0 };
          return [
            s.name,
            {
              cpuPercentOfCore: Math.round(((cpuOf(s.pids) - (cpuStart[i] ?? 0)) / seconds) * 100),
              rssMiB: { mean: mib(r.sum / Math.max(1, r.samples)), peak: mib(r.peak) },
            },
          ];
        }),
      );
    },
  };
}
