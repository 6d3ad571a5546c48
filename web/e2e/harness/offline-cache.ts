import type { Page } from "playwright-core";

/** The offline cache's IndexedDB database and store (web/src/offline/offline-cache.ts). */
const DB = "langtian-offline";
const STORE = "queries";

/**
 * Waits until the UI's offline cache holds an answer of the named RPC method (e.g. "Browse").
 * The cache writes a moment after each answer, and a full page load can drop a write still
 * waiting: a test that reloads right after data shows waits for it instead of guessing a delay.
 */
export async function waitForOfflineCache(page: Page, methodName: string, timeoutMs = 15_000): Promise<void> {
  // A string: this file has no DOM types. Resolves to whether a cached query's hash (its
  // JSON-encoded key) names the method.
  const holdsMethod = `new Promise((resolve) => {
    const open = indexedDB.open(${JSON.stringify(DB)});
    open.onerror = () => resolve(false);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(${JSON.stringify(STORE)})) { db.close(); resolve(false); return; }
      const keys = db.transaction(${JSON.stringify(STORE)}).objectStore(${JSON.stringify(STORE)}).getAllKeys();
      keys.onsuccess = () => {
        db.close();
        resolve(keys.result.some((hash) => String(hash).includes(${JSON.stringify(`"methodName":"${methodName}"`)})));
      };
      keys.onerror = () => { db.close(); resolve(false); };
    };
  })`;
  // Polled here: page.evaluate awaits a promise the expression gives, waitForFunction does not.
  const deadline = Date.now() + timeoutMs;
  while ((await page.evaluate(holdsMethod)) !== true) {
    if (Date.now() > deadline) {
      throw new Error(`the offline cache holds no ${methodName} answer after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
