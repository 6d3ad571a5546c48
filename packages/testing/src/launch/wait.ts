import { ErrorCode, LangtianError } from "@langtian/errors";

/** Error thrown when a condition is not met in time, or cannot be met any more. */
export class WaitError extends LangtianError {
  override readonly code = ErrorCode.deadlineExceeded;
  override name = "WaitError";
}

/** Options for {@link waitFor}. */
export interface WaitOptions {
  /** What we wait for, for the error message. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Returns a reason when waiting is pointless (e.g. the server process exited). */
  giveUpIf?: () => string | undefined;
}

/**
 * Polls `probe` until it returns a value other than `undefined` (a thrown error counts as
 * "not yet"), then returns that value. Fails with the last error after `timeoutMs`, or at
 * once when `giveUpIf` names a reason.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 200;
  let lastError: unknown;
  for (;;) {
    const reason = options.giveUpIf?.();
    if (reason) throw new WaitError(`gave up waiting for ${options.what}: ${reason}`, { cause: lastError });
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new WaitError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${detail}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
