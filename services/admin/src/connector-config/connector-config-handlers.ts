import { create, toJson } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type ConnectorConfig,
  checkConnectorConfig,
  diffConnectorConfigs,
  formatConnectorConfig,
  routeSamples,
} from "@langtian/connector-config";
import { ErrorCode, LangtianError } from "@langtian/errors";
import {
  type ConnectorConfigRevision,
  type DiffConnectorConfigRequest,
  DiffConnectorConfigResponseSchema,
  type GetConnectorConfigRequest,
  GetConnectorConfigResponseSchema,
  type ListConnectorConfigRevisionsRequest,
  ListConnectorConfigRevisionsResponseSchema,
  type RollbackConnectorConfigRequest,
  RollbackConnectorConfigRequestSchema,
  RollbackConnectorConfigResponseSchema,
  type SetConnectorConfigRequest,
  SetConnectorConfigRequestSchema,
  SetConnectorConfigResponseSchema,
  type ValidateConnectorConfigRequest,
  ValidateConnectorConfigResponseSchema,
} from "@langtian/proto";
import { callerName } from "../access/admin-access.ts";
import type { AuditLog } from "../audit/audit-log.ts";
import { audited } from "../audit/audited.ts";
import { type ConnectorConfigStore, UnknownRevisionError } from "./connector-config-store.ts";

/** The value is not a valid connector configuration. */
export class InvalidConnectorConfigError extends LangtianError {
  override readonly name = "InvalidConnectorConfigError";
  override readonly code = ErrorCode.invalidArgument;
}

/** The configuration bucket has not been opened (NATS away or without JetStream). */
export class ConnectorConfigUnavailableError extends LangtianError {
  override readonly name = "ConnectorConfigUnavailableError";
  override readonly code = ErrorCode.unavailable;
}

/** What the connector configuration RPCs need. */
export interface ConnectorConfigDeps {
  /** The store once NATS answered; undefined before. */
  readonly store: () => ConnectorConfigStore | undefined;
  /** The audit log; throws when it cannot be written (a mutation is then refused). */
  readonly requireAudit: () => AuditLog;
}

/** Most sample subjects of one dry run, and most revisions listed. */
const MAX_SAMPLES = 1000;
const MAX_REVISIONS = 64;

/**
 * The handlers of the shared connector configuration RPCs of `AdminService`, merged into the
 * service's implementation by routes.ts. Set and Rollback are mutations: the kit requires the
 * operator token (app.ts), they are audited before they act (refused when the audit log cannot
 * be written) and again with their result, like DrainInstance.
 */
export function connectorConfigHandlers(deps: ConnectorConfigDeps) {
  const store = (): ConnectorConfigStore => {
    const s = deps.store();
    if (s === undefined)
      throw new ConnectorConfigUnavailableError(
        "the connector configuration bucket is not reachable (NATS JetStream)",
      );
    return s;
  };

  /** Runs a mutation between its two audit entries, on the bucket as its target. */
  const auditedChange = <T>(
    actor: string,
    action: string,
    request: unknown,
    run: () => Promise<{ result: T; detail: string }>,
  ): Promise<T> => audited(deps.requireAudit(), { actor, action, target: store().name, request }, run);

  /** The stored form of a valid value. @throws InvalidConnectorConfigError listing every problem. */
  function checked(value: string): string {
    const check = checkConnectorConfig(value);
    if (!check.ok)
      throw new InvalidConnectorConfigError(`invalid connector configuration: ${check.problems.join("; ")}`);
    return formatConnectorConfig(check.config);
  }

  const parsed = (revision: ConnectorConfigRevision | undefined): ConnectorConfig | undefined => {
    if (revision === undefined || revision.deleted) return undefined;
    const check = checkConnectorConfig(revision.value);
    // A value written around the admin (straight into KV) may be invalid: diff it as nothing.
    return check.ok ? check.config : undefined;
  };

  return {
    async getConnectorConfig(request: GetConnectorConfigRequest) {
      const config = await store().get(Number(request.revision));
      return create(GetConnectorConfigResponseSchema, config === undefined ? {} : { config });
    },

    async validateConnectorConfig(request: ValidateConnectorConfigRequest) {
      const check = checkConnectorConfig(request.value);
      if (!check.ok)
        return create(ValidateConnectorConfigResponseSchema, { valid: false, problems: [...check.problems] });
      return create(ValidateConnectorConfigResponseSchema, {
        valid: true,
        normalizedValue: formatConnectorConfig(check.config),
        routes: routeSamples(
          check.rules,
          check.config.topics.defaultTopic,
          request.sampleSubjects.slice(0, MAX_SAMPLES),
        ),
      });
    },

    async setConnectorConfig(request: SetConnectorConfigRequest, context: HandlerContext) {
      return auditedChange(
        callerName(context.values),
        "SetConnectorConfig",
        toJson(SetConnectorConfigRequestSchema, request),
        async () => {
          const value = checked(request.value);
          const expected =
            request.expectedRevision === undefined ? undefined : Number(request.expectedRevision);
          const config = await store().put(value, expected);
          return {
            result: create(SetConnectorConfigResponseSchema, { config }),
            detail: `revision ${config.revision}`,
          };
        },
      );
    },

    async listConnectorConfigRevisions(request: ListConnectorConfigRevisionsRequest) {
      const limit = request.limit === 0 ? MAX_REVISIONS : Math.min(request.limit, MAX_REVISIONS);
      return create(ListConnectorConfigRevisionsResponseSchema, { revisions: await store().history(limit) });
    },

    async diffConnectorConfig(request: DiffConnectorConfigRequest) {
      const s = store();
      const from = await s.get(Number(request.fromRevision));
      let to: ConnectorConfig | undefined;
      let toRevision = 0n;
      if (request.toValue !== "") {
        const check = checkConnectorConfig(request.toValue);
        if (!check.ok)
          throw new InvalidConnectorConfigError(
            `invalid connector configuration: ${check.problems.join("; ")}`,
          );
        to = check.config;
      } else {
        const revision = await s.get(Number(request.toRevision));
        to = parsed(revision);
        toRevision = revision?.revision ?? 0n;
      }
      return create(DiffConnectorConfigResponseSchema, {
        fromRevision: from?.revision ?? 0n,
        toRevision,
        changes: diffConnectorConfigs(parsed(from), to),
      });
    },

    async rollbackConnectorConfig(request: RollbackConnectorConfigRequest, context: HandlerContext) {
      return auditedChange(
        callerName(context.values),
        "RollbackConnectorConfig",
        toJson(RollbackConnectorConfigRequestSchema, request),
        async () => {
          if (request.revision === 0n) throw new UnknownRevisionError("name the revision to roll back to");
          const old = await store().get(Number(request.revision));
          if (old === undefined || old.deleted)
            throw new UnknownRevisionError(`revision ${request.revision} holds no value to restore`);
          // Checked again: the old value may have been written straight into KV, around the admin.
          const config = await store().put(checked(old.value), undefined);
          return {
            result: create(RollbackConnectorConfigResponseSchema, { config }),
            detail: `revision ${config.revision} restores revision ${request.revision}`,
          };
        },
      );
    },
  };
}
