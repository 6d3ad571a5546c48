import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectQueryKey, useQuery, useTransport } from "@connectrpc/connect-query";
import { AdminService, GetOverviewResponseSchema, type Overview } from "@langtian/proto";
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, useSyncExternalStore } from "react";
import { appendSample, type OverviewSample, sampleOf } from "./overview-figures.ts";

/** Query-cache key of the charts' history (kept by the offline cache, so it survives a reload). */
export const OVERVIEW_HISTORY_KEY = ["langtian", "overview-history"] as const;

/** How often the history is written to the query cache (and so to IndexedDB): often enough, cheaply. */
const HISTORY_WRITE_MS = 15_000;

/** The state of the live stream of overviews. */
export type OverviewStream =
  | { readonly state: "connecting" }
  | { readonly state: "live"; readonly atMs: number }
  | { readonly state: "retrying"; readonly error: unknown; readonly retryInMs: number };

interface HistoryStore {
  samples: OverviewSample[];
  last: Overview | undefined;
  writtenAtMs: number;
  readonly listeners: Set<() => void>;
}

// One history per query client (the app has one; every test its own), shared by every page
// that streams the overview: the charts keep counting while the user is on Services.
const stores = new WeakMap<QueryClient, HistoryStore>();

function historyStore(client: QueryClient): HistoryStore {
  let store = stores.get(client);
  if (store === undefined) {
    const restored = client.getQueryData<OverviewSample[]>(OVERVIEW_HISTORY_KEY);
    store = {
      samples: Array.isArray(restored) ? [...restored] : [],
      last: undefined,
      writtenAtMs: 0,
      listeners: new Set(),
    };
    stores.set(client, store);
  }
  return store;
}

function record(client: QueryClient, overview: Overview): void {
  const store = historyStore(client);
  store.samples = appendSample(store.samples, sampleOf(overview, store.last));
  store.last = overview;
  const now = Date.now();
  if (now - store.writtenAtMs >= HISTORY_WRITE_MS) {
    store.writtenAtMs = now;
    client.setQueryData(OVERVIEW_HISTORY_KEY, store.samples);
  }
  for (const l of store.listeners) l();
}

/** The last hour of overview samples, newest last, re-rendering on every new one. */
export function useOverviewHistory(): readonly OverviewSample[] {
  const client = useQueryClient();
  const store = historyStore(client);
  return useSyncExternalStore(
    (l) => {
      store.listeners.add(l);
      return () => store.listeners.delete(l);
    },
    () => store.samples,
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * The deployment's overview, live: `GetOverview` answers first (or the offline cache does), then
 * every `WatchOverview` message replaces it in the query cache (so the last one is what a reload
 * shows offline) and adds a sample to the charts' history. The stream reconnects by itself,
 * backing off up to 30 s; `stream` says how it is doing.
 */
export function useOverview(intervalMs = 2000) {
  const transport = useTransport();
  const client = useQueryClient();
  const query = useQuery(AdminService.method.getOverview, {});
  const [stream, setStream] = useState<OverviewStream>({ state: "connecting" });
  useEffect(() => {
    const abort = new AbortController();
    const api = createClient(AdminService, transport);
    const key = createConnectQueryKey({
      schema: AdminService.method.getOverview,
      input: {},
      transport,
      cardinality: "finite",
    });
    void (async () => {
      let failures = 0;
      while (!abort.signal.aborted) {
        try {
          for await (const res of api.watchOverview({ intervalMs }, { signal: abort.signal })) {
            failures = 0;
            if (res.overview === undefined) continue;
            client.setQueryData(key, create(GetOverviewResponseSchema, { overview: res.overview }));
            record(client, res.overview);
            setStream({ state: "live", atMs: Date.now() });
          }
        } catch (error) {
          if (abort.signal.aborted) return;
          failures++;
          const retryInMs = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5));
          setStream({ state: "retrying", error, retryInMs });
          await sleep(retryInMs, abort.signal);
          continue;
        }
        // The server ended the stream (a restart): reconnect at once.
        await sleep(500, abort.signal);
      }
    })();
    return () => abort.abort();
  }, [transport, client, intervalMs]);
  return { query, stream };
}
