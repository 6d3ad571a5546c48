import { create, toJson } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { ErrorCode, LangtianError } from "@langtian/errors";
import {
  AdminService,
  DrainInstanceRequestSchema,
  GetDeadLetterResponseSchema,
  GetOverviewResponseSchema,
  ListAuditResponseSchema,
  ListDeadLettersRequestSchema,
  type Overview,
  ReplayDeadLettersRequestSchema,
  ReplayDeadLettersResponseSchema,
  WatchOverviewResponseSchema,
} from "@langtian/proto";
import { type ApiKeyGuard, codeName, toConnectError } from "@langtian/service-kit";
import type { NatsConnection } from "@nats-io/transport-node";
import { callerName, MUTATIONS, Role } from "./access/admin-access.ts";
import { createCallerGate } from "./access/caller-gate.ts";
import type { AuditLog } from "./audit/audit-log.ts";
import { audited } from "./audit/audited.ts";
import { connectorConfigHandlers } from "./connector-config/connector-config-handlers.ts";
import type { ConnectorConfigStore } from "./connector-config/connector-config-store.ts";
import type { DeadLetters } from "./dead-letters/dead-letters.ts";
import type { InstanceSpec } from "./deployment.ts";
import { drainInstance } from "./drain/drain-instance.ts";
import { DEFAULT_TAIL_RATE, MAX_TAIL_RATE, tailEvents } from "./tail/tail-events.ts";
import type { Sessions } from "./web/sessions.ts";

/** What the admin routes need. */
export interface AdminRouteDeps {
  /** Reads the whole deployment once. */
  readonly overview: () => Promise<Overview>;
  readonly instances: readonly InstanceSpec[];
  /** The audit log once NATS answered; undefined before. */
  readonly audit: () => AuditLog | undefined;
  /** The instances' operator token, for their Drain RPC. */
  readonly instanceOperatorToken: string | undefined;
  /** Bound of one call to an instance. */
  readonly instanceTimeoutMs: number;
  /** The shared connector configuration's store once NATS answered; undefined before. */
  readonly connectorConfig: () => ConnectorConfigStore | undefined;
  /** The NATS connection once it answered; undefined before. */
  readonly nats: () => NatsConnection | undefined;
  /** Every stage's dead letters. */
  readonly deadLetters: DeadLetters;
  /** Admits each call by key and role (see access/admin-access.ts). */
  readonly guard: ApiKeyGuard<Role>;
  /** UI sessions: a call with the session cookie and no key is its session's caller. */
  readonly sessions: Sessions;
}

/** NATS has not answered yet: what needs it (tail, dead letters) is unavailable meanwhile. */
export class NatsUnavailableError extends LangtianError {
  override readonly name = "NatsUnavailableError";
  override readonly code = ErrorCode.unavailable;
}

/** The audit log is not reachable (NATS away): a mutation that cannot be audited is refused. */
export class AuditUnavailableError extends LangtianError {
  override readonly name = "AuditUnavailableError";
  override readonly code = ErrorCode.unavailable;
}

/** Fastest WatchOverview interval, and the default. */
const MIN_WATCH_INTERVAL_MS = 500;
const DEFAULT_WATCH_INTERVAL_MS = 2_000;
const DEFAULT_DRAIN_DEADLINE_MS = 60_000;

/**
 * Connect routes: `langtian.admin.v1.AdminService`. Every call is admitted by key and role
 * before its message is read (mutations need the operator role); every mutation is audited
 * before it acts (refused when the audit log cannot be written) and again with its result.
 */
export function adminRoutes(deps: AdminRouteDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(
      AdminService,
      {
        // GetConnectorConfig … RollbackConnectorConfig (connector-config/).
        ...connectorConfigHandlers({
          store: deps.connectorConfig,
          requireAudit: () => {
            const audit = deps.audit();
            if (audit === undefined)
              throw new AuditUnavailableError(
                "the audit log is not reachable (NATS): mutations are refused until it is",
              );
            return audit;
          },
        }),
        async getOverview() {
          return create(GetOverviewResponseSchema, { overview: await deps.overview() });
        },
        async *watchOverview(request, context) {
          const intervalMs = Math.max(MIN_WATCH_INTERVAL_MS, request.intervalMs || DEFAULT_WATCH_INTERVAL_MS);
          while (!context.signal.aborted) {
            yield create(WatchOverviewResponseSchema, { overview: await deps.overview() });
            await sleep(intervalMs, context.signal);
          }
        },
        async *drainInstance(request, context) {
          const audit = deps.audit();
          if (audit === undefined)
            throw new AuditUnavailableError(
              "the audit log is not reachable (NATS): mutations are refused until it is",
            );
          const record = {
            actor: callerName(context.values),
            action: "DrainInstance",
            target: request.instance,
            request: toJson(DrainInstanceRequestSchema, request),
          };
          await audit.record({ ...record, result: "requested", detail: "" });
          try {
            let last = "";
            for await (const progress of drainInstance({
              instances: deps.instances,
              name: request.instance,
              deadlineMs: request.deadlineMs || DEFAULT_DRAIN_DEADLINE_MS,
              force: request.force,
              operatorToken: deps.instanceOperatorToken,
              pollMs: 250,
              timeoutMs: deps.instanceTimeoutMs,
              signal: context.signal,
            })) {
              last = progress.detail;
              yield progress;
            }
            await audit.record({ ...record, result: "ok", detail: last });
          } catch (err) {
            const error = toConnectError(err);
            await audit
              .record({ ...record, result: codeName(error.code), detail: error.rawMessage })
              .catch(() => undefined);
            throw err;
          }
        },
        async listAudit(request) {
          const audit = deps.audit();
          if (audit === undefined) throw new AuditUnavailableError("the audit log is not reachable (NATS)");
          const limit = request.limit === 0 ? 100 : Math.min(request.limit, 1000);
          return create(ListAuditResponseSchema, {
            entries: await audit.list(limit, request.beforeSequence),
          });
        },
        async *tail(request, context) {
          const nc = deps.nats();
          if (nc === undefined || nc.isClosed()) throw new NatsUnavailableError("NATS is not reachable");
          yield* tailEvents(nc, {
            subjectFilter: request.subjectFilter,
            maxEventsPerSecond: Math.min(MAX_TAIL_RATE, request.maxEventsPerSecond || DEFAULT_TAIL_RATE),
            sample: Math.max(1, request.sample ?? 1),
            signal: context.signal,
          });
        },
        async listDeadLetters(request) {
          return deps.deadLetters.list(request);
        },
        async getDeadLetter(request) {
          return create(GetDeadLetterResponseSchema, { deadLetter: await deps.deadLetters.get(request.id) });
        },
        async replayDeadLetters(request, context) {
          const audit = deps.audit();
          if (audit === undefined)
            throw new AuditUnavailableError(
              "the audit log is not reachable (NATS): mutations are refused until it is",
            );
          const record = {
            actor: callerName(context.values),
            action: "ReplayDeadLetters",
            target: request.ids.length > 0 ? request.ids.join(" ") : "filter",
            request: toJson(ReplayDeadLettersRequestSchema, request),
          };
          return audited(audit, record, async () => {
            const ids =
              request.ids.length > 0
                ? request.ids
                : (
                    await deps.deadLetters.list(request.filter ?? create(ListDeadLettersRequestSchema))
                  ).deadLetters.map((d) => d.id);
            const results = await deps.deadLetters.replay(ids);
            const replayed = results.filter((r) => r.replayed).length;
            return {
              result: create(ReplayDeadLettersResponseSchema, { results }),
              detail: `${replayed} of ${results.length} replayed${results
                .filter((r) => !r.replayed)
                .map((r) => `; ${r.id}: ${r.detail}`)
                .join("")}`,
            };
          });
        },
      },
      {
        requestGate: createCallerGate(deps.guard, deps.sessions, (method) =>
          MUTATIONS.has(method) ? Role.operator : Role.viewer,
        ),
      },
    );
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
