/**
 * Shares one read among every caller that asks while it runs or within `maxAgeMs` after it
 * finished: 50 screens watching the overview cost the admin (and every instance it reads) one
 * read per interval, not fifty. A failed read is not kept.
 */
export function sharedRead<T>(
  read: () => Promise<T>,
  maxAgeMs: number,
  nowMs = () => performance.now(),
): () => Promise<T> {
  let current: { promise: Promise<T>; settledAtMs: number | undefined } | undefined;
  return () => {
    if (
      current !== undefined &&
      (current.settledAtMs === undefined || nowMs() - current.settledAtMs <= maxAgeMs)
    )
      return current.promise;
    const entry: { promise: Promise<T>; settledAtMs: number | undefined } = {
      promise: read(),
      settledAtMs: undefined,
    };
    current = entry;
    entry.promise.then(
      () => {
        entry.settledAtMs = nowMs();
      },
      () => {
        if (current === entry) current = undefined;
      },
    );
    return entry.promise;
  };
}
