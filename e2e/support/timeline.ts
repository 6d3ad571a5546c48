/** One thing that happened during a chaos run, at `atMs` after the feed started. */
export interface TimelineEntry {
  readonly atMs: number;
  /** What kind of fault or event, e.g. `SIGKILL`, `restart`, `commit-failure`. */
  readonly kind: string;
  /** What it hit, e.g. `bridge-1`, `kafka`, `<day folder>`. */
  readonly target: string;
  readonly detail: string;
}

/**
 * The run's clock and log: every injected fault and every unplanned event (a service that
 * exited by itself) with its time since the feed started, printed as it happens and again
 * in the final report, so a failed run can be matched with the services' logs.
 */
export interface Timeline {
  /** ms since {@link Timeline.start} (or since creation, before it). */
  now(): number;
  /** Sets time zero: call when the feed starts. */
  start(): void;
  record(kind: string, target: string, detail?: string): TimelineEntry;
  readonly entries: readonly TimelineEntry[];
  /** Prints a progress line prefixed with the test name and the time. */
  log(message: string): void;
  /** The entries as an aligned table. */
  format(): string;
}

/** A timeline for the run named `name` (the prefix of every printed line). */
export function createTimeline(name: string): Timeline {
  let zero = performance.now();
  const entries: TimelineEntry[] = [];
  const timeline: Timeline = {
    now: () => Math.round(performance.now() - zero),
    start: () => {
      zero = performance.now();
    },
    entries,
    log(message) {
      process.stdout.write(`[${name} ${(timeline.now() / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
    },
    record(kind, target, detail = "") {
      const entry = { atMs: timeline.now(), kind, target, detail };
      entries.push(entry);
      timeline.log(`fault: ${kind} ${target}${detail ? ` (${detail})` : ""}`);
      return entry;
    },
    format() {
      const rows = [
        ["ms", "kind", "target", "detail"],
        ...entries.map((e) => [String(e.atMs), e.kind, e.target, e.detail]),
      ];
      const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
      return rows
        .map((r) =>
          r
            .map((cell, c) => (c === 0 ? cell.padStart(widths[0] ?? 0) : cell.padEnd(widths[c] ?? 0)))
            .join("  ")
            .trimEnd(),
        )
        .join("\n");
    },
  };
  return timeline;
}
