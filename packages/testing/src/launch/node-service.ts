import { type ServerProcess, spawnServer } from "./server-process.ts";
import { waitFor } from "./wait.ts";

/** What {@link startNodeService} runs: one of our services' `main.ts` as a child process. */
export interface NodeServiceSpec {
  /** Name for messages, e.g. `bridge-1`. */
  name: string;
  /** Absolute path of the entry point, e.g. `.../services/bridge/src/main.ts`. */
  script: string;
  args?: readonly string[];
  /**
   * Environment added to ours. Set the service's port to 0 (e.g. `LANGTIAN_BRIDGE_PORT=0`):
   * the URL is read from the service's "listening" log line, so no port can be raced for.
   */
  env: Record<string, string>;
  /** Output of every start is appended here. */
  logFile: string;
  /** How long to wait for the "listening" line and a 200 from `/healthz`. Default 60 s. */
  readyTimeoutMs?: number;
}

/** A service child that listens and answers `/healthz`. */
export interface NodeService {
  readonly name: string;
  /** `http://127.0.0.1:<port>` of its health, metrics and RPC port. */
  readonly url: string;
  readonly process: ServerProcess;
  /** The `/metrics` text (Prometheus exposition format). */
  metricsText(): Promise<string>;
}

// Every service logs `{"url":"http://…"} … listening` once its port is open (pino JSON).
const listeningLine = /"url":"(http:\/\/[^"]+)".*listening/;

/**
 * Runs a service's `main.ts` as a server child (own process group, killed with us even when
 * we die without running any handler), waits for its "listening" log line, then until
 * `/healthz` answers 200. Fails with the log's tail when it exits or does not answer in time.
 */
export async function startNodeService(spec: NodeServiceSpec): Promise<NodeService> {
  let url: string | undefined;
  const child = spawnServer({
    command: process.execPath,
    args: [spec.script, ...(spec.args ?? [])],
    env: { ...process.env, ...spec.env },
    logFile: spec.logFile,
    onLine: (line) => {
      const match = listeningLine.exec(line);
      if (match?.[1]) url ??= match[1];
    },
  });
  const timeoutMs = spec.readyTimeoutMs ?? 60_000;
  const giveUpIf = () => (child.isRunning() ? undefined : `it exited:\n${child.logTail(30)}`);
  try {
    const base = await waitFor(async () => url, {
      what: `${spec.name} to listen`,
      timeoutMs,
      intervalMs: 50,
      giveUpIf,
    });
    await waitFor(async () => ((await fetch(`${base}/healthz`)).status === 200 ? true : undefined), {
      what: `${spec.name} to answer /healthz`,
      timeoutMs,
      intervalMs: 100,
      giveUpIf,
    });
    return {
      name: spec.name,
      url: base,
      process: child,
      metricsText: async () =>
        (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text(),
    };
  } catch (err) {
    await child.kill();
    throw err;
  }
}

/**
 * The sum of a metric over all its label sets in Prometheus text, or `undefined` when the
 * text has no sample of it. `name` is the full name (e.g. `langtian_bridge_acked_total`);
 * histogram parts (`_bucket`, `_sum`, `_count`) count as other names.
 */
export function sumMetric(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(" ") || rest.startsWith("{"))) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}
