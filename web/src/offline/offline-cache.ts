import type { QueryClient, QueryKey } from "@tanstack/react-query";
import { type IDBPDatabase, openDB } from "idb";

/** One cached query: its key and data as the API last answered them. */
interface CachedQuery {
  readonly hash: string;
  readonly key: QueryKey;
  readonly data: unknown;
  /** When the API answered it (what the UI shows as the data's age). */
  readonly updatedAtMs: number;
  /** When the UI last used it, for least-recently-used eviction. */
  readonly usedAtMs: number;
  /** Approximate size in bytes. */
  readonly bytes: number;
}

/** What the cache holds, for the Diagnostics page. */
export interface OfflineCacheUsage {
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
}

/**
 * The offline cache: every successful query of the pages a user browsed is kept in IndexedDB
 * (size-capped, least recently used evicted first). At start the UI restores it into the query
 * client, so pages open at once and still show data, marked stale with its age, while the API is
 * unreachable. Queries with `meta: { offline: false }` are never kept (large or secret results).
 */
export interface OfflineCache {
  /** Loads every cached query into the client; returns how many. */
  restore(client: QueryClient): Promise<number>;
  /** Keeps the client's successful queries from now on; returns the unsubscribe function. */
  attach(client: QueryClient): () => void;
  usage(): Promise<OfflineCacheUsage>;
  clear(): Promise<void>;
  close(): void;
}

/** Options of the offline cache. */
export interface OfflineCacheOptions {
  readonly dbName?: string;
  /** Total size kept; the least recently used queries go first beyond it. */
  readonly maxBytes?: number;
  /** How long a write waits for more updates of the same query. */
  readonly writeDelayMs?: number;
}

const STORE = "queries";
const BY_USE = "usedAtMs";

/** Opens (creating when missing) the offline cache database. */
export async function openOfflineCache(options: OfflineCacheOptions = {}): Promise<OfflineCache> {
  const maxBytes = options.maxBytes ?? 25 * 1024 * 1024;
  const writeDelayMs = options.writeDelayMs ?? 300;
  const db: IDBPDatabase = await openDB(options.dbName ?? "langtian-offline", 1, {
    upgrade(database) {
      const store = database.createObjectStore(STORE, { keyPath: "hash" });
      store.createIndex(BY_USE, BY_USE);
    },
  });
  const pending = new Map<string, CachedQuery>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let restoring = false;

  const flush = async (): Promise<void> => {
    timer = undefined;
    const entries = [...pending.values()];
    pending.clear();
    if (entries.length === 0) return;
    const tx = db.transaction(STORE, "readwrite");
    for (const entry of entries) tx.store.put(entry);
    await tx.done;
    await evict();
  };
  // Sizes are summed from the index in use order: oldest first, deleted until under the cap.
  const evict = async (): Promise<void> => {
    const all = (await db.getAllFromIndex(STORE, BY_USE)) as CachedQuery[];
    let total = all.reduce((sum, e) => sum + e.bytes, 0);
    if (total <= maxBytes) return;
    const tx = db.transaction(STORE, "readwrite");
    for (const entry of all) {
      if (total <= maxBytes) break;
      tx.store.delete(entry.hash);
      total -= entry.bytes;
    }
    await tx.done;
  };

  return {
    async restore(client) {
      restoring = true;
      try {
        const all = (await db.getAll(STORE)) as CachedQuery[];
        for (const entry of all) {
          client.setQueryData(entry.key, entry.data, { updatedAt: entry.updatedAtMs });
        }
        return all.length;
      } finally {
        restoring = false;
      }
    },
    attach(client) {
      // A page being left writes what is waiting at once (best effort: the browser may still
      // end the page before the write commits).
      const writeNow = (): void => {
        if (timer === undefined) return;
        clearTimeout(timer);
        void flush().catch(() => undefined);
      };
      globalThis.addEventListener?.("pagehide", writeNow);
      const unsubscribe = client.getQueryCache().subscribe((event) => {
        if (restoring || event.type !== "updated" || event.action.type !== "success") return;
        const query = event.query;
        if (query.meta?.offline === false || query.state.data === undefined) return;
        const data = query.state.data;
        pending.set(query.queryHash, {
          hash: query.queryHash,
          key: query.queryKey,
          data,
          updatedAtMs: query.state.dataUpdatedAt,
          usedAtMs: Date.now(),
          bytes: approximateBytes(data),
        });
        if (timer === undefined) timer = setTimeout(() => void flush().catch(() => undefined), writeDelayMs);
      });
      return () => {
        globalThis.removeEventListener?.("pagehide", writeNow);
        unsubscribe();
      };
    },
    async usage() {
      const all = (await db.getAll(STORE)) as CachedQuery[];
      return { entries: all.length, bytes: all.reduce((sum, e) => sum + e.bytes, 0), maxBytes };
    },
    async clear() {
      pending.clear();
      await db.clear(STORE);
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      db.close();
    },
  };
}

/**
 * Roughly how many bytes a value takes: strings count their length, binary its bytes. Cheap
 * enough to run on every answer, close enough to keep the cache near its cap.
 */
export function approximateBytes(value: unknown, depth = 0): number {
  if (value === null || value === undefined) return 4;
  switch (typeof value) {
    case "string":
      return 2 * value.length + 8;
    case "number":
    case "bigint":
    case "boolean":
      return 8;
    case "object":
      break;
    default:
      return 8;
  }
  if (depth > 32) return 8;
  if (ArrayBuffer.isView(value)) return value.byteLength + 16;
  let sum = 16;
  if (Array.isArray(value)) {
    for (const item of value) sum += approximateBytes(item, depth + 1);
    return sum;
  }
  for (const [k, v] of Object.entries(value)) sum += k.length * 2 + approximateBytes(v, depth + 1);
  return sum;
}

declare module "@tanstack/react-query" {
  interface Register {
    queryMeta: { offline?: boolean };
  }
}
