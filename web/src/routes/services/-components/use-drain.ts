import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { AdminService, type DrainInstanceResponse } from "@langtian/proto";
import { useCallback, useEffect, useRef, useState } from "react";

/** Where one drain is: asked, confirmed and streaming, refused, finished or failed. */
export type DrainState =
  | { readonly kind: "idle" }
  /** The first confirmation is open. */
  | { readonly kind: "confirm"; readonly instance: string }
  | {
      readonly kind: "running";
      readonly instance: string;
      readonly force: boolean;
      readonly steps: readonly DrainInstanceResponse[];
    }
  /** The server refused: the last ready instance of its stage (force offered). */
  | { readonly kind: "refused"; readonly instance: string; readonly message: string }
  /** The second confirmation, to force, is open. */
  | { readonly kind: "confirm-force"; readonly instance: string; readonly message: string }
  | {
      readonly kind: "done";
      readonly instance: string;
      readonly force: boolean;
      readonly steps: readonly DrainInstanceResponse[];
      readonly deadlineExceeded: boolean;
    }
  | {
      readonly kind: "failed";
      readonly instance: string;
      readonly steps: readonly DrainInstanceResponse[];
      readonly error: unknown;
    };

/**
 * One drain at a time through `DrainInstance`, a server stream: each progress message is kept
 * and shown as it arrives. A `failed_precondition` answer is the server refusing to drain the
 * last ready instance of a stage: it becomes `refused`, from which the user may force it after
 * a second confirmation. Leaving the page stops following (aborts the stream).
 */
export function useDrain() {
  const transport = useTransport();
  const [state, setState] = useState<DrainState>({ kind: "idle" });
  const abort = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => abort.current?.abort(), []);

  const run = useCallback(
    async (instance: string, force: boolean, deadlineMs: number) => {
      abort.current?.abort();
      const controller = new AbortController();
      abort.current = controller;
      const steps: DrainInstanceResponse[] = [];
      setState({ kind: "running", instance, force, steps: [] });
      const client = createClient(AdminService, transport);
      try {
        let deadlineExceeded = false;
        for await (const step of client.drainInstance(
          { instance, force, deadlineMs },
          { signal: controller.signal },
        )) {
          steps.push(step);
          deadlineExceeded ||= step.deadlineExceeded;
          setState({ kind: "running", instance, force, steps: [...steps] });
        }
        if (!controller.signal.aborted)
          setState({ kind: "done", instance, force, steps: [...steps], deadlineExceeded });
      } catch (error) {
        if (controller.signal.aborted) return;
        const e = ConnectError.from(error);
        if (e.code === Code.FailedPrecondition && !force && steps.length === 0)
          setState({ kind: "refused", instance, message: e.rawMessage });
        else setState({ kind: "failed", instance, steps: [...steps], error });
      }
    },
    [transport],
  );

  return {
    state,
    /** Opens the first confirmation. */
    ask: (instance: string) => setState({ kind: "confirm", instance }),
    /** Opens the second confirmation, after a refusal. */
    askForce: () =>
      setState((s) =>
        s.kind === "refused" ? { kind: "confirm-force", instance: s.instance, message: s.message } : s,
      ),
    /** Closes a confirmation without draining (back to the refusal when forcing was declined). */
    cancel: () =>
      setState((s) =>
        s.kind === "confirm-force"
          ? { kind: "refused", instance: s.instance, message: s.message }
          : { kind: "idle" },
      ),
    start: (instance: string, force: boolean, deadlineMs: number) => void run(instance, force, deadlineMs),
    /** Hides a finished drain's report. */
    dismiss: () => setState({ kind: "idle" }),
  };
}
