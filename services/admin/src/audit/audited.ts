import { codeName, toConnectError } from "@langtian/service-kit";
import type { AuditLog, AuditRecord } from "./audit-log.ts";

/** What a mutation is, for its audit entries. */
export type AuditedAction = Omit<AuditRecord, "result" | "detail">;

/**
 * Runs one mutation between its two audit entries: `requested` before it acts (so a mutation
 * that cannot be audited never runs), then `ok` with its detail, or the error's code and
 * message when it failed (the error is thrown on).
 */
export async function audited<T>(
  audit: AuditLog,
  action: AuditedAction,
  run: () => Promise<{ readonly result: T; readonly detail: string }>,
): Promise<T> {
  await audit.record({ ...action, result: "requested", detail: "" });
  try {
    const { result, detail } = await run();
    await audit.record({ ...action, result: "ok", detail });
    return result;
  } catch (err) {
    const error = toConnectError(err);
    await audit
      .record({ ...action, result: codeName(error.code), detail: error.rawMessage })
      .catch(() => undefined);
    throw err;
  }
}
