/**
 * A one-producer, one-consumer channel with backpressure: `push` resolves once the consumer
 * took the item, so a producer reading DuckDB chunks never runs ahead of a slow client.
 */
export interface ResultChannel<T> extends AsyncIterable<T> {
  push(item: T): Promise<void>;
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
    push(item) {
      if (consumerGone) return Promise.reject(new Error("the consumer stopped reading"));
      return new Promise<void>((resolve) => {
        items.push({ item, taken: resolve });
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
