import type { Item } from "./pipeline-item.ts";

/**
 * Sends an in-progress ack (`working()`) for every held message each `intervalMs`, so AckWait
 * does not expire while a write is slow. `held` lists the pipeline's current item lists.
 * Returns the function that stops it.
 */
export function startWorkingHeartbeat(
  intervalMs: number,
  held: () => readonly (readonly Item[])[],
): () => void {
  const timer = setInterval(() => {
    for (const items of held()) for (const item of items) item.msg.working();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
