/**
 * The `LifecycleService` Connect implementation served by every service: Health, Status
 * and Drain. Drain is mutating: `createServiceApp` guards it with the operator token.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { LifecycleService } from "@langtian/proto";
import { DependencyStateSchema, Phase } from "@langtian/proto";
import { toConnectError } from "./errors.ts";
import type { HealthReport, ServiceIdentity } from "./health-report.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { LifecyclePhase } from "./lifecycle.ts";

/** Maps the internal phase to the protobuf `Phase`. */
export function toProtoPhase(phase: LifecyclePhase): Phase {
  switch (phase) {
    case LifecyclePhase.starting:
      return Phase.STARTING;
    case LifecyclePhase.running:
      return Phase.RUNNING;
    case LifecyclePhase.draining:
      return Phase.DRAINING;
    case LifecyclePhase.drained:
      return Phase.DRAINED;
    default:
      return Phase.UNSPECIFIED;
  }
}

/** What the implementation needs. */
export interface LifecycleServiceDeps {
  readonly identity: ServiceIdentity;
  readonly lifecycle: Lifecycle;
  readonly healthReport: () => Promise<HealthReport>;
}

/** Creates the `LifecycleService` handlers. Errors leave as `ConnectError` only. */
export function createLifecycleServiceImpl(deps: LifecycleServiceDeps): ServiceImpl<typeof LifecycleService> {
  const { identity, lifecycle } = deps;
  const guard = async <T>(fn: () => Promise<T> | T): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toConnectError(err);
    }
  };
  return {
    health: () =>
      guard(async () => {
        const report = await deps.healthReport();
        return {
          service: report.service,
          instanceId: report.instanceId,
          version: report.version,
          live: report.live,
          ready: report.ready,
          phase: toProtoPhase(report.phase),
          dependencies: report.dependencies.map((d) =>
            create(DependencyStateSchema, { name: d.name, healthy: d.healthy, detail: d.detail }),
          ),
        };
      }),
    status: () =>
      guard(() => ({
        service: identity.service,
        instanceId: identity.instanceId,
        version: identity.version,
        phase: toProtoPhase(lifecycle.phase),
        startedAt: timestampFromDate(lifecycle.startedAt),
        counters: lifecycle.counters(),
      })),
    drain: (req, ctx) =>
      guard(async () => {
        // The drain goes on when the caller gives up or the server closes; only this answer stops.
        const result = await untilAborted(lifecycle.drain({ deadlineMs: req.deadlineMs }), ctx.signal);
        return { phase: toProtoPhase(lifecycle.phase), deadlineExceeded: result.deadlineExceeded };
      }),
  };
}

/**
 * Resolves like `promise`, or rejects with `Aborted`/the signal's reason when `signal` aborts
 * first (client cancelled, deadline passed, or the server's close grace ran out).
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

function abortError(signal: AbortSignal): ConnectError {
  return signal.reason instanceof ConnectError
    ? signal.reason
    : new ConnectError("request aborted", Code.Aborted, undefined, undefined, signal.reason);
}
