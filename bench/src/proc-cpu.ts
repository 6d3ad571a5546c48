import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

/** CPU seconds (user + system) a live process used so far, from /proc (Linux only). */
export function cpuSeconds(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The pid of the nats-server whose JetStream store is `storeDir` (its config file sits next to it). */
export function natsServerPid(storeDir: string): number {
  const out = execFileSync("pgrep", ["-f", "-o", dirname(storeDir)], { encoding: "utf8" });
  return Number(out.trim().split("\n")[0]);
}

/** Samples a child's CPU every 20 ms until it exits, so the last sample is taken just before. */
export function sampleCpuUntilExit(pid: number | undefined): { seconds: () => number; stop: () => void } {
  let last = 0;
  const timer = setInterval(() => {
    try {
      last = cpuSeconds(pid);
    } catch {
      // Exited between two samples: keep the last one.
    }
  }, 20);
  return { seconds: () => last, stop: () => clearInterval(timer) };
}

/** Busy CPU seconds of the whole box so far (every core; user, nice, system, irq, softirq). */
export function boxBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // Steal (time the hypervisor gave to other guests) is not work done here.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = ticks;
  return (user + nice + system + irq + softirq) / 100;
}

/** CPU seconds used so far by every descendant process of `pid` (e.g. a broker JVM); 0 where /proc is missing. */
export function descendantsCpuSeconds(pid: number = process.pid): number {
  let children: string[];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean),
    );
  } catch {
    return 0;
  }
  let seconds = 0;
  for (const child of children) {
    try {
      seconds += cpuSeconds(Number(child));
    } catch {
      // The child exited meanwhile.
    }
    seconds += descendantsCpuSeconds(Number(child));
  }
  return seconds;
}
