import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync, closeSync, openSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { refuseInUnitTier } from "@langtian/provision";

/** How a server process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What to start: one server binary, its output appended to `logFile`. */
export interface ServerProcessSpec {
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also receives every output line (e.g. to print it with a prefix). */
  onLine?: (line: string) => void;
}

/** A running server child process (its own process group, killed when we die). */
export interface ServerProcess {
  readonly pid: number;
  /** Settles when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<ProcessExit>;
  /** SIGKILL at once (a crash); resolves when the process is gone. */
  kill(): Promise<ProcessExit>;
  /** The last `lines` lines of the log file, for error messages. */
  logTail(lines?: number): string;
}

const posix = process.platform !== "win32";
/** Process groups (POSIX) or pids (Windows) of the servers alive right now. */
const live = new Set<number>();

/**
 * Starts a server as a child in its own process group, output appended to a log file. The
 * child never outlives us: `exit` and fatal signals kill every live group synchronously, and a
 * watchdog process kills them when we die without running any handler (SIGKILL, OOM).
 * Child handles are unref'd, so a forgotten server never keeps a test process alive.
 */
export function spawnServer(spec: ServerProcessSpec): ServerProcess {
  refuseInUnitTier(`starting ${spec.command}`);
  installExitHooks();
  const log = openSync(spec.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      // Without a line consumer the child writes straight into the file: nothing of ours to keep alive.
      stdio: spec.onLine ? ["ignore", "pipe", "pipe"] : ["ignore", log, log],
      detached: posix,
      windowsHide: true,
    });
  } finally {
    closeSync(log);
  }
  const onLine = spec.onLine;
  if (onLine) {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        forwardLines(stream, (line) => {
          appendFileSync(spec.logFile, `${line}\n`);
          onLine(line);
        });
    }
  }
  const pid = child.pid;
  if (pid === undefined) {
    // spawn reports ENOENT and friends asynchronously; surface it synchronously instead.
    throw new Error(`cannot start ${spec.command}`);
  }
  child.unref();
  live.add(pid);
  watchdog()?.register(pid);
  let running = true;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      // The group may hold helpers the server forked; they go with it.
      signalGroup(pid, "SIGKILL");
      live.delete(pid);
      watchdog()?.unregister(pid);
      resolve({ code, signal });
    });
  });

  const waitExit = async (graceMs: number): Promise<ProcessExit> => {
    let timer: NodeJS.Timeout | undefined;
    // A ref'd timer keeps the event loop alive while we wait for the unref'd child.
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    const first = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (first !== "timeout") return first;
    signalGroup(pid, "SIGKILL");
    // Still ref'd until the exit is seen: with nothing else pending, a process awaiting an
    // unref'd child's exit would end mid-await (a stack's shutdown exited 13 that way).
    const keepAlive = setInterval(() => {}, 1_000);
    try {
      return await exited;
    } finally {
      clearInterval(keepAlive);
    }
  };

  return {
    pid,
    exited,
    isRunning: () => running,
    stop: async (graceMs = 20_000) => {
      if (!running) return exited;
      signalGroup(pid, "SIGTERM");
      return waitExit(graceMs);
    },
    kill: async () => {
      if (!running) return exited;
      signalGroup(pid, "SIGKILL");
      return waitExit(10_000);
    },
    logTail: (lines = 40) => readTail(spec.logFile, lines),
  };
}

/** Kills every live server at once; used by exit and signal hooks. */
export function killAllServersSync(): void {
  for (const pid of live) signalGroup(pid, "SIGKILL");
  live.clear();
}

const cleanups: (() => void)[] = [];

/**
 * Registers synchronous cleanup (e.g. removing a temp dir) that runs after every server was
 * killed, on exit and on a fatal signal. `watchdogPath`, when given, is removed by the
 * watchdog too if this process dies without running any handler. `first` runs the cleanup
 * before those registered earlier (e.g. making a folder writable again before its temp dir
 * is removed).
 */
export function addExitCleanup(cleanup: () => void, watchdogPath?: string, first = false): void {
  installExitHooks();
  if (first) cleanups.unshift(cleanup);
  else cleanups.push(cleanup);
  if (watchdogPath && !watchdogPath.includes("\n")) watchdog()?.removeOnDeath(watchdogPath);
}

function runExitHooksSync(): void {
  killAllServersSync();
  for (const cleanup of cleanups.splice(0)) {
    try {
      cleanup();
    } catch {
      // Best effort: exit must go on.
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (posix) process.kill(-pid, signal);
    else if (signal === "SIGKILL")
      spawnSync("taskkill", ["/T", "/F", "/PID", String(pid)], { windowsHide: true });
    else process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function forwardLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => {
    if (pending) onLine(pending);
  });
}

function readTail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", runExitHooksSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      // When the program has its own handler, it owns shutdown (e.g. `npm run stack` stops
      // servers gracefully); our `exit` hook still runs when it exits.
      if (process.listenerCount(signal) > 1) return;
      runExitHooksSync();
      process.removeListener(signal, onSignal);
      // Re-raise so the process ends the way it would have without us.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * A shell that lives in its own process group and reads "+<pgid>" / "-<pgid>" / "d<path>"
 * lines on its stdin. Our end of that pipe closes only when we die, however we die; the
 * shell then terminates every group still registered (SIGTERM, then SIGKILL) and removes the
 * registered temp folders (only ours: their names contain "langtian-").
 */
const watchdogScript = `
trap '' INT HUP TERM
groups=""
dirs=""
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups \${line#+}" ;;
    -*) rest=""; for g in $groups; do [ "$g" = "\${line#-}" ] || rest="$rest $g"; done; groups="$rest" ;;
    d*/langtian-*) dirs="$dirs
\${line#d}" ;;
  esac
done
removeDirs() {
  printf '%s\\n' "$dirs" | while IFS= read -r d; do [ -n "$d" ] && rm -rf -- "$d"; done
}
alive=""
for g in $groups; do kill -0 -"$g" 2>/dev/null && alive="$alive $g"; done
if [ -n "$alive" ]; then
  for g in $alive; do kill -TERM -"$g" 2>/dev/null; done
  sleep 3
  for g in $alive; do kill -KILL -"$g" 2>/dev/null; done
fi
removeDirs
`;

interface Watchdog {
  register(pid: number): void;
  unregister(pid: number): void;
  removeOnDeath(path: string): void;
}

let watchdogInstance: Watchdog | undefined;

function watchdog(): Watchdog | undefined {
  if (!posix) return undefined;
  if (watchdogInstance) return watchdogInstance;
  const shell = spawn("/bin/sh", ["-c", watchdogScript], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  shell.unref();
  const stdin = shell.stdin;
  if (!stdin) return undefined;
  // The pipe must not keep us alive either.
  (stdin as unknown as { unref?: () => void }).unref?.();
  stdin.on("error", () => {
    // The watchdog died (someone killed it); servers still die with our exit hooks.
  });
  watchdogInstance = {
    register: (pid) => stdin.write(`+${pid}\n`),
    unregister: (pid) => stdin.write(`-${pid}\n`),
    removeOnDeath: (path) => stdin.write(`d${path}\n`),
  };
  return watchdogInstance;
}
