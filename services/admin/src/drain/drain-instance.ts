import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ErrorCode, LangtianError } from "@langtian/errors";
import {
  type DrainInstanceResponse,
  DrainInstanceResponseSchema,
  LifecycleService,
  Phase,
} from "@langtian/proto";
import type { InstanceSpec } from "../deployment.ts";

/** The instance named is not in the deployment model. */
export class UnknownInstanceError extends LangtianError {
  override readonly name = "UnknownInstanceError";
  override readonly code = ErrorCode.notFound;
}

/** Draining it would leave its stage with no ready instance. */
export class LastReadyInstanceError extends LangtianError {
  override readonly name = "LastReadyInstanceError";
  override readonly code = ErrorCode.failedPrecondition;
}

/** What a drain needs. */
export interface DrainOptions {
  readonly instances: readonly InstanceSpec[];
  readonly name: string;
  readonly deadlineMs: number;
  readonly force: boolean;
  /** The instances' operator token (their Drain RPC requires it). */
  readonly operatorToken: string | undefined;
  /** Time between progress reports. */
  readonly pollMs: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * Drains one instance and yields its progress: its phase and counters every `pollMs` while the
 * drain runs, then a last message with `done` (drained, or the deadline passed). Unless
 * `force`, refuses when no other instance of the same stage is ready: draining it would stop
 * the stage.
 */
export async function* drainInstance(o: DrainOptions): AsyncGenerator<DrainInstanceResponse> {
  const target = o.instances.find((i) => i.name === o.name);
  if (target === undefined)
    throw new UnknownInstanceError(`no instance ${JSON.stringify(o.name)} in the deployment model`);
  const clientOf = (spec: InstanceSpec) =>
    createClient(LifecycleService, createConnectTransport({ baseUrl: spec.endpoint, httpVersion: "1.1" }));
  if (!o.force) {
    const others = o.instances.filter((i) => i.stage === target.stage && i.name !== target.name);
    const ready = await Promise.all(
      others.map((i) =>
        clientOf(i)
          .health({}, { timeoutMs: o.timeoutMs })
          .then((h) => h.ready && h.phase === Phase.RUNNING)
          .catch(() => false),
      ),
    );
    if (!ready.some((r) => r))
      throw new LastReadyInstanceError(
        `${target.name} is the last ready ${target.stage} instance: draining it stops the stage (pass force to drain anyway)`,
      );
  }
  const client = clientOf(target);
  const headers = o.operatorToken === undefined ? undefined : { authorization: `Bearer ${o.operatorToken}` };
  let outcome: { deadlineExceeded: boolean } | Error | undefined;
  const drain = client
    .drain(
      { deadlineMs: o.deadlineMs },
      { timeoutMs: o.deadlineMs + 10_000, signal: o.signal, ...(headers && { headers }) },
    )
    .then(
      (r) => {
        outcome = { deadlineExceeded: r.deadlineExceeded };
      },
      (err: unknown) => {
        outcome = err instanceof Error ? err : new Error(String(err));
      },
    );
  yield create(DrainInstanceResponseSchema, {
    phase: Phase.DRAINING,
    detail: `drain of ${target.name} requested`,
  });
  while (outcome === undefined && !o.signal.aborted) {
    await Promise.race([drain, new Promise((resolve) => setTimeout(resolve, o.pollMs))]);
    if (outcome !== undefined) break;
    const status = await client.status({}, { timeoutMs: o.timeoutMs }).catch(() => undefined);
    if (status !== undefined)
      yield create(DrainInstanceResponseSchema, {
        phase: status.phase,
        detail: "draining",
        counters: status.counters,
      });
  }
  if (outcome instanceof Error) throw outcome;
  const status = await client.status({}, { timeoutMs: o.timeoutMs }).catch(() => undefined);
  yield create(DrainInstanceResponseSchema, {
    phase: status?.phase ?? Phase.DRAINED,
    detail: outcome?.deadlineExceeded ? "deadline passed before the drain finished" : "drained",
    counters: status?.counters ?? {},
    done: true,
    deadlineExceeded: outcome?.deadlineExceeded ?? false,
  });
}
