import { ProduceTimeoutError } from "./pipeline-errors.ts";
import type { Item } from "./pipeline-item.ts";
import type { RecordSink } from "./pipeline-ports.ts";

/**
 * Takes the next produce request's items off the head of `queue`: at most `maxRecords`, and
 * no more than `maxBytes` unless a single item is larger on its own (it then goes alone).
 */
export function takeBatch(queue: Item[], maxRecords: number, maxBytes: number): Item[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length && n < maxRecords) {
    const next = queue[n] as Item;
    if (n > 0 && bytes + next.bytes > maxBytes) break;
    bytes += next.bytes;
    n++;
  }
  return queue.splice(0, n);
}

/**
 * Sends one batch as one produce request. Rejects with {@link ProduceTimeoutError} when the
 * sink has not settled within `timeoutMs`.
 */
export function produceBatch(sink: RecordSink, batch: readonly Item[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProduceTimeoutError(`produce did not settle in ${timeoutMs} ms`)),
      timeoutMs,
    );
    // A guard, not work: a produce still out when the pipeline closes must not hold the process open.
    timer.unref();
  });
  return Promise.race([sink.send(batch.map((i) => i.record)), timeout]).finally(() => clearTimeout(timer));
}
