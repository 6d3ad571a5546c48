/**
 * Who holds a local port, so `npm run stack` can say "port 4222 is held by nats-server
 * (pid 1234)" instead of only "in use". Best effort: any failure (no /proc, no permission to
 * read another user's file descriptors, no `ss`, no `netstat`) answers "unknown", never throws.
 *
 * Linux: the sockets bound to the port from /proc/net/{tcp,tcp6,udp,udp6} (their inodes),
 * then the process whose /proc/<pid>/fd links to one of them; when /proc names no process
 * (another user's, without root), `ss -ltnup` if present. Windows: `netstat -ano`, then
 * `tasklist` for the name.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** A process holding a port. */
export interface PortOwner {
  readonly pid: number;
  /** Its executable name, when known (e.g. `nats-server`, `java`, `postgres`). */
  readonly name?: string;
}

/** Socket state "listening" in /proc/net/tcp (TCP_LISTEN). */
const TCP_LISTEN = "0A";

/**
 * The inodes of the sockets in one /proc/net/{tcp,tcp6,udp,udp6} table whose local port is
 * `port`: listening ones for TCP, every bound one for UDP (a datagram socket has no listen state).
 */
export function procNetInodes(table: string, port: number, protocol: "tcp" | "udp"): string[] {
  const inodes: string[] = [];
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    const inode = fields[9];
    if (local === undefined || state === undefined || inode === undefined || inode === "0") continue;
    const localPort = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
    if (localPort !== port) continue;
    if (protocol === "tcp" && state !== TCP_LISTEN) continue;
    inodes.push(inode);
  }
  return inodes;
}

/** The owners `ss -ltnup` names for `port` (its `users:(("name",pid=1,fd=3))` column). */
export function parseSsOutput(output: string, port: number): PortOwner[] {
  const owners: PortOwner[] = [];
  for (const line of output.split("\n")) {
    const fields = line.trim().split(/\s+/);
    // Netid State Recv-Q Send-Q Local:Port Peer:Port Process (with -u the Netid column is there).
    const local = fields.find((f) => /:(\d+)$/.test(f));
    if (local === undefined || Number(local.slice(local.lastIndexOf(":") + 1)) !== port) continue;
    for (const match of line.matchAll(/\("([^"]+)",pid=(\d+)/g)) {
      owners.push({ pid: Number(match[2]), name: match[1] ?? "" });
    }
  }
  return unique(owners);
}

/** The pids `netstat -ano` (Windows) shows for `port`: TCP LISTENING rows and UDP rows. */
export function parseNetstatOutput(output: string, port: number): number[] {
  const pids: number[] = [];
  for (const line of output.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    const [proto, local] = fields;
    if (local === undefined || !/^(TCP|UDP)$/i.test(proto ?? "")) continue;
    if (Number(local.slice(local.lastIndexOf(":") + 1)) !== port) continue;
    // TCP: proto local foreign state pid; UDP: proto local foreign pid (no state).
    const isTcp = proto?.toUpperCase() === "TCP";
    if (isTcp && fields[3] !== "LISTENING") continue;
    const pid = Number(isTcp ? fields[4] : fields[3]);
    if (Number.isInteger(pid) && pid > 0 && !pids.includes(pid)) pids.push(pid);
  }
  return pids;
}

/** The image name in one line of `tasklist /FO CSV /NH` (`"nats-server.exe","1234",...`). */
export function parseTasklistName(output: string): string | undefined {
  return /^"([^"]+)"/.exec(output.trim())?.[1];
}

/** Who holds `port` (TCP listening or UDP bound) on this machine; empty when unknown. */
export async function findPortOwners(port: number): Promise<PortOwner[]> {
  try {
    if (process.platform === "win32") return await windowsOwners(port);
    if (process.platform === "linux") {
      const owners = linuxProcOwners(port);
      if (owners.length > 0) return owners;
    }
    return await ssOwners(port);
  } catch {
    return [];
  }
}

/** "held by nats-server (pid 1234)", or undefined when no owner can be found. */
export async function describePortOwner(port: number): Promise<string | undefined> {
  const owners = await findPortOwners(port);
  if (owners.length === 0) return undefined;
  return `held by ${owners.map((o) => (o.name ? `${o.name} (pid ${o.pid})` : `pid ${o.pid}`)).join(", ")}`;
}

function linuxProcOwners(port: number): PortOwner[] {
  const inodes = new Set<string>();
  for (const [file, protocol] of [
    ["tcp", "tcp"],
    ["tcp6", "tcp"],
    ["udp", "udp"],
    ["udp6", "udp"],
  ] as const) {
    try {
      for (const inode of procNetInodes(readFileSync(`/proc/net/${file}`, "utf8"), port, protocol)) {
        inodes.add(`socket:[${inode}]`);
      }
    } catch {
      // No IPv6 on this host, or no /proc: the other tables may still answer.
    }
  }
  if (inodes.size === 0) return [];
  const owners: PortOwner[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // Gone already, or another user's process without root.
    }
    const holds = fds.some((fd) => {
      try {
        return inodes.has(readlinkSync(`/proc/${entry}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    const name = processName(entry);
    owners.push(name ? { pid: Number(entry), name } : { pid: Number(entry) });
  }
  return owners;
}

/**
 * The program of a process: the file name of its argv[0] (`node`, `java`, `nats-server`);
 * its `comm` only when that is unreadable, as `comm` is the main thread's name, which some
 * runtimes rename (Node calls it "MainThread").
 */
function processName(pid: string): string | undefined {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
    const name = argv0.slice(argv0.lastIndexOf("/") + 1);
    if (name) return name;
  } catch {
    // Fall through to comm.
  }
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

async function ssOwners(port: number): Promise<PortOwner[]> {
  const { stdout } = await execFileAsync("ss", ["-ltnupH"], { timeout: 5_000 });
  return parseSsOutput(stdout, port);
}

async function windowsOwners(port: number): Promise<PortOwner[]> {
  const { stdout } = await execFileAsync("netstat", ["-ano"], { timeout: 10_000, windowsHide: true });
  const owners: PortOwner[] = [];
  for (const pid of parseNetstatOutput(stdout, port)) {
    const name = await execFileAsync("tasklist", ["/FI", `PID eq ${pid}`, "/FO", "CSV", "/NH"], {
      timeout: 10_000,
      windowsHide: true,
    }).then(
      (r) => parseTasklistName(r.stdout),
      () => undefined,
    );
    owners.push(name ? { pid, name } : { pid });
  }
  return owners;
}

function unique(owners: PortOwner[]): PortOwner[] {
  return owners.filter((o, i) => owners.findIndex((other) => other.pid === o.pid) === i);
}
