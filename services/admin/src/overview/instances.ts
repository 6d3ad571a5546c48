import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type InstanceOverview, InstanceOverviewSchema, LifecycleService } from "@langtian/proto";
import type { InstanceSpec } from "../deployment.ts";
import { counterTotals, isErrorCounter } from "./metrics-text.ts";

/** Reads instances; remembers the last counter totals of each to turn the next read into rates. */
export interface InstanceReader {
  read(spec: InstanceSpec): Promise<InstanceOverview>;
}

/**
 * Creates the reader. Each instance is read with its `LifecycleService` (Health, Status) and its
 * `/metrics`, each bounded by `timeoutMs`; an instance that cannot be read gets an entry with
 * `error` set, never a failed overview.
 */
export function createInstanceReader(timeoutMs: number): InstanceReader {
  const previous = new Map<string, { atMs: number; totals: Map<string, number> }>();
  const clients = new Map<string, ReturnType<typeof createClient<typeof LifecycleService>>>();
  const clientOf = (endpoint: string) => {
    let client = clients.get(endpoint);
    if (client === undefined) {
      client = createClient(
        LifecycleService,
        createConnectTransport({ baseUrl: endpoint, httpVersion: "1.1" }),
      );
      clients.set(endpoint, client);
    }
    return client;
  };
  return {
    async read(spec) {
      const base = { name: spec.name, stage: spec.stage, endpoint: spec.endpoint };
      try {
        const client = clientOf(spec.endpoint);
        const [health, status, metricsText] = await Promise.all([
          client.health({}, { timeoutMs }),
          client.status({}, { timeoutMs }),
          fetch(`${spec.endpoint}/metrics`, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.text()),
        ]);
        const atMs = Date.now();
        const totals = counterTotals(metricsText);
        const before = previous.get(spec.name);
        previous.set(spec.name, { atMs, totals });
        const rates: Record<string, number> = {};
        const errors: Record<string, number> = {};
        for (const [name, value] of totals) {
          if (isErrorCounter(name)) {
            errors[name] = value;
            continue;
          }
          const last = before?.totals.get(name);
          if (before !== undefined && last !== undefined && atMs > before.atMs)
            rates[name] = Math.max(0, (value - last) / ((atMs - before.atMs) / 1000));
        }
        return create(InstanceOverviewSchema, {
          ...base,
          live: health.live,
          ready: health.ready,
          version: health.version,
          phase: health.phase,
          ...(status.startedAt !== undefined && { startedAt: status.startedAt }),
          dependencies: health.dependencies,
          counters: status.counters,
          rates,
          errors,
        });
      } catch (err) {
        return create(InstanceOverviewSchema, {
          ...base,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    },
  };
}
