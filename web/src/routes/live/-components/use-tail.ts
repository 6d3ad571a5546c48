import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { AdminService, type TailedEvent } from "@langtian/proto";
import { useEffect, useState } from "react";

/** Events the page keeps (newest first); older ones drop off. */
export const MAX_TAIL_EVENTS = 200;

/** What the tail asks the admin for. */
export interface TailSettings {
  readonly subject: string;
  readonly rate: number;
  readonly sample: number;
}

/** One event as received, with the order it came in (a stable key). */
export interface ReceivedEvent {
  readonly seq: number;
  readonly event: TailedEvent;
}

/** The tail's state. */
export interface TailState {
  readonly status: "following" | "paused" | "ended" | "failed";
  readonly error?: unknown;
  /** Newest first, at most {@link MAX_TAIL_EVENTS}. */
  readonly events: readonly ReceivedEvent[];
  /** Events received since the tail (re)started. */
  readonly received: number;
  /** Events the admin skipped (over the rate, or not sampled) since the tail (re)started. */
  readonly skipped: bigint;
  /** When the admin last reported skipping, for the "sampling now" indicator. */
  readonly skippedAtMs: number | undefined;
}

const initial: TailState = {
  status: "following",
  events: [],
  received: 0,
  skipped: 0n,
  skippedAtMs: undefined,
};

/**
 * Follows `AdminService.Tail` while not `paused`: pausing closes the stream (the admin deletes
 * its consumer), resuming opens a new one from now; the events shown stay. New settings start
 * afresh. `restart` changes to run it again after a failure.
 */
export function useTail(settings: TailSettings, paused: boolean, restart: number) {
  const transport = useTransport();
  const [state, setState] = useState<TailState>(initial);
  const { subject, rate, sample } = settings;

  // New settings: a new tail, nothing kept from the old one.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the settings are the reason to reset
  useEffect(() => setState(initial), [subject, rate, sample]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new `restart` value is a request to run again
  useEffect(() => {
    if (paused) {
      setState((s) => ({ ...s, status: "paused" }));
      return;
    }
    const abort = new AbortController();
    const client = createClient(AdminService, transport);
    let seq = 0;
    setState((s) => ({ ...s, status: "following", error: undefined }));
    void (async () => {
      try {
        for await (const res of client.tail(
          { subjectFilter: subject, maxEventsPerSecond: rate, sample },
          { signal: abort.signal },
        )) {
          const event = res.event;
          const now = Date.now();
          setState((s) => ({
            ...s,
            skipped: s.skipped + res.skipped,
            skippedAtMs: res.skipped > 0n ? now : s.skippedAtMs,
            received: s.received + (event === undefined ? 0 : 1),
            events:
              event === undefined
                ? s.events
                : [{ seq: now * 1000 + (seq++ % 1000), event }, ...s.events].slice(0, MAX_TAIL_EVENTS),
          }));
        }
        if (!abort.signal.aborted) setState((s) => ({ ...s, status: "ended" }));
      } catch (error) {
        if (!abort.signal.aborted) setState((s) => ({ ...s, status: "failed", error }));
      }
    })();
    return () => abort.abort();
  }, [transport, subject, rate, sample, paused, restart]);

  return { state, clear: () => setState((s) => ({ ...s, events: [] })) };
}
