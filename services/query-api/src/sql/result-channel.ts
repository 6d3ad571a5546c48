/**
 * A one-producer, one-consumer channel with backpressure: `push` resolves once the consumer
 * took the item, so a producer reading DuckDB chunks never runs ahead of a slow client.
 */
export interface ResultChannel<T> extends AsyncIterable<T> {
  /**
   * Resolves once the consumer took `item`. Rejects when `signal` aborts first (the
   * statement's limit passed, or the caller went away), so a statement whose client stopped
   * reading gives its slot back instead of waiting forever.
   */
  push(item: T, signal?: AbortSignal): Promise<void>;
  /** Ends the stream (after the items pushed so far), or fails it with `err`. */
  end(err?: unknown): void;
}

/** Creates a channel; iterate it once. When the consumer stops early, pushes reject. */
export function createResultChannel<T>(): ResultChannel<T> {
  const items: { item: T; taken: () => void }[] = [];
  let ended: { err: unknown } | undefined;
  let wake: (() => void) | undefined;
  let consumerGone = false;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item, signal) {
      if (consumerGone) return Promise.reject(new Error("the consumer stopped reading"));
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = items.findIndex((pending) => pending.item === item);
          if (i >= 0) items.splice(i, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        items.push({
          item,
          taken: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        });
        notify();
      });
    },
    end(err) {
      ended ??= { err };
      notify();
    },
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const next = items.shift();
          if (next !== undefined) {
            next.taken();
            yield next.item;
            continue;
          }
          if (ended !== undefined) {
            if (ended.err !== undefined) throw ended.err;
            return;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        consumerGone = true;
        for (const pending of items.splice(0)) pending.taken();
      }
    },
  };
}
