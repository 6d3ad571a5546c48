import { QueryClient } from "@tanstack/react-query";
import { afterEach, describe, expect, it } from "vitest";
import { approximateBytes, type OfflineCache, openOfflineCache } from "./offline-cache.ts";

let cache: OfflineCache | undefined;
afterEach(() => cache?.close());

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the offline cache", () => {
  it("keeps successful queries and hands them back, with their age, to a new client", async () => {
    const dbName = `test-${Math.random()}`;
    cache = await openOfflineCache({ dbName, writeDelayMs: 1 });
    const first = new QueryClient();
    cache.attach(first);
    await first.fetchQuery({
      queryKey: ["overview"],
      queryFn: async () => ({ rate: 12n, bytes: new Uint8Array([1, 2]) }),
    });
    await settle(30);
    const updatedAt = first.getQueryState(["overview"])?.dataUpdatedAt;

    const second = new QueryClient();
    expect(await cache.restore(second)).toBe(1);
    // Compared by value: the in-memory IndexedDB clones binary into another realm's Uint8Array.
    const restored = second.getQueryData<{ rate: bigint; bytes: Uint8Array }>(["overview"]);
    expect(restored?.rate).toBe(12n);
    expect([...(restored?.bytes ?? [])]).toEqual([1, 2]);
    expect(second.getQueryState(["overview"])?.dataUpdatedAt).toBe(updatedAt);
  });

  it("never keeps queries marked offline: false", async () => {
    cache = await openOfflineCache({ dbName: `test-${Math.random()}`, writeDelayMs: 1 });
    const client = new QueryClient();
    cache.attach(client);
    await client.fetchQuery({ queryKey: ["secret"], queryFn: async () => "x", meta: { offline: false } });
    await settle(30);
    expect((await cache.usage()).entries).toBe(0);
  });

  it("writes what is waiting at once when the page is left", async () => {
    cache = await openOfflineCache({ dbName: `test-${Math.random()}`, writeDelayMs: 60_000 });
    const client = new QueryClient();
    const detach = cache.attach(client);
    await client.fetchQuery({ queryKey: ["events"], queryFn: async () => [1, 2, 3] });
    await settle(20);
    expect((await cache.usage()).entries).toBe(0);
    window.dispatchEvent(new Event("pagehide"));
    await settle(30);
    expect((await cache.usage()).entries).toBe(1);
    detach();
  });

  it("evicts the least recently used queries beyond its size cap", async () => {
    const big = "x".repeat(10_000); // ~20 kB each
    cache = await openOfflineCache({ dbName: `test-${Math.random()}`, writeDelayMs: 1, maxBytes: 50_000 });
    const client = new QueryClient();
    cache.attach(client);
    for (const name of ["a", "b", "c", "d"]) {
      await client.fetchQuery({ queryKey: [name], queryFn: async () => big });
      await settle(20);
    }
    const usage = await cache.usage();
    expect(usage.bytes).toBeLessThanOrEqual(50_000);
    expect(usage.entries).toBe(2);
    const restored = new QueryClient();
    await cache.restore(restored);
    expect(restored.getQueryData(["a"])).toBeUndefined();
    expect(restored.getQueryData(["d"])).toBe(big);
  });

  it("sizes strings, binary and nested messages", () => {
    expect(approximateBytes("abcd")).toBe(16);
    expect(approximateBytes(new Uint8Array(100))).toBe(116);
    expect(approximateBytes({ a: [1, 2] })).toBeGreaterThan(16);
  });
});
