import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { type NodeService, type ProcessExit, startNodeService, sumMetric } from "@langtian/testing";
import type { Timeline } from "./timeline.ts";

/** What a {@link SupervisedService} runs (see `startNodeService`). */
export interface SupervisedSpec {
  name: string;
  script: string;
  args?: readonly string[];
  env: Record<string, string>;
  logFile: string;
}

/**
 * One service instance of the pipeline under test, kept running the way a service manager
 * with `Restart=always` would: an exit we did not cause is logged on the timeline and the
 * instance started again after a second. Metrics are scraped by {@link scrape}; the last
 * scrape of every process lifetime is kept, so counters of killed processes still count.
 */
export interface SupervisedService {
  readonly name: string;
  /** The running process, or undefined between a kill and its restart. */
  current(): NodeService | undefined;
  start(): Promise<void>;
  /** SIGKILL (after the instance answered /healthz), a pause, then a start. */
  crash(pauseMs: number): Promise<void>;
  /** SIGTERM and wait (drain); no restart afterwards. */
  stop(): Promise<ProcessExit | undefined>;
  /** SIGTERM and wait (the graceful shutdown), then start again: one instance's upgrade. */
  restart(): Promise<ProcessExit | undefined>;
  /** Reads `/metrics` of the running process (ignored when it does not answer). */
  scrape(): Promise<void>;
  /** Sum over process lifetimes of a counter's last scraped value (`undefined`: never seen). */
  counterTotal(name: string): number | undefined;
  /** A gauge's last scraped value of the running process (`undefined`: not scraped / down). */
  gauge(name: string): number | undefined;
  /** The last lines of the log file (every lifetime appends to it). */
  logTail(lines?: number): string;
}

const startAttempts = 5;

/** Starts nothing yet: call `start()`. Every start, kill and unplanned exit goes on `timeline`. */
export function superviseService(spec: SupervisedSpec, timeline: Timeline): SupervisedService {
  let running: NodeService | undefined;
  /** Last metrics text of each lifetime, the running one last. */
  const lives: string[] = [];
  let stopping = false;
  let killing = false;
  /** Operations on this instance run one after another (a kill waits for a pending start). */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => {});
    return next;
  };

  const launch = async (): Promise<NodeService> => {
    let service: NodeService;
    for (let attempt = 1; ; attempt++) {
      try {
        service = await startNodeService({ ...spec, readyTimeoutMs: 90_000 });
        break;
      } catch (err) {
        // A dependency may be down right now (e.g. Kafka restarting): a manager would retry.
        if (attempt >= startAttempts) throw err;
        timeline.record(
          "start-failed",
          spec.name,
          `attempt ${attempt}: ${firstLine(err)}${lastLine(err)}; retrying in 2 s`,
        );
        await sleep(2_000);
      }
    }
    running = service;
    lives.push("");
    void service.process.exited.then((exit) => {
      if (running === service) running = undefined;
      if (stopping || killing) return;
      timeline.record("exited-by-itself", spec.name, `code ${exit.code ?? exit.signal}; restarting in 1 s`);
      void serial(async () => {
        await sleep(1_000);
        if (!stopping && !running) await launch();
      });
    });
    return service;
  };

  return {
    name: spec.name,
    current: () => running,
    start: () => serial(async () => void (await launch())),
    crash: (pauseMs) =>
      serial(async () => {
        const service = running;
        if (!service) throw new Error(`${spec.name} is not running, nothing to kill`);
        await scrapeInto(service);
        killing = true;
        try {
          await service.process.kill();
        } finally {
          killing = false;
        }
        running = undefined;
        timeline.record("SIGKILL", spec.name, `pid ${service.process.pid}; restart in ${pauseMs} ms`);
        await sleep(pauseMs);
        const back = await launch();
        timeline.log(`${spec.name} back (pid ${back.process.pid})`);
      }),
    stop: () =>
      serial(async () => {
        stopping = true;
        const service = running;
        if (!service) return undefined;
        await scrapeInto(service);
        const exit = await service.process.stop(60_000);
        running = undefined;
        return exit;
      }),
    restart: () =>
      serial(async () => {
        const service = running;
        if (!service) throw new Error(`${spec.name} is not running, nothing to restart`);
        await scrapeInto(service);
        killing = true;
        let exit: ProcessExit | undefined;
        try {
          exit = await service.process.stop(60_000);
        } finally {
          killing = false;
        }
        running = undefined;
        timeline.record("stopped", spec.name, `exit ${exit?.code ?? exit?.signal}; starting again`);
        const back = await launch();
        timeline.log(`${spec.name} back (pid ${back.process.pid})`);
        return exit;
      }),
    async scrape() {
      if (running) await scrapeInto(running);
    },
    counterTotal(name) {
      let total: number | undefined;
      for (const text of lives) {
        const value = sumMetric(text, name);
        if (value !== undefined) total = (total ?? 0) + value;
      }
      return total;
    },
    gauge(name) {
      return running ? sumMetric(lives.at(-1) ?? "", name) : undefined;
    },
    logTail: (lines = 40) => readTail(spec.logFile, lines),
  };

  async function scrapeInto(service: NodeService): Promise<void> {
    try {
      const text = await service.metricsText();
      // Only the lifetime this process belongs to: a late answer from a killed one is dropped.
      if (running === service) lives[lives.length - 1] = text;
    } catch {
      // Down or busy: the previous scrape stands.
    }
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}

/** The last line of a multi-line error (the log tail of a service that exited: why), shortened. */
function lastLine(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).trimEnd().split("\n");
  if (lines.length < 2) return "";
  const last = lines.at(-1) ?? "";
  return ` … ${last.length > 400 ? `${last.slice(0, 400)}…` : last}`;
}

function readTail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
