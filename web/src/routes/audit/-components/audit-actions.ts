import type { AuditEntry } from "@langtian/proto";

/**
 * One audited action: the entry written before it acted ("requested") with the one written after
 * (its result). Either may be missing: a request without a result is still running, or its
 * process stopped before it could write one; a result without its request had the request on an
 * older page.
 */
export interface AuditAction {
  readonly requested: AuditEntry | undefined;
  readonly result: AuditEntry | undefined;
}

/** The entry that stands for an action in the list: its request, else its result. */
export function firstEntryOf(action: AuditAction): AuditEntry {
  return (action.requested ?? action.result) as AuditEntry;
}

/**
 * Pairs each result with the request it answers, newest first: the two entries of one action
 * share actor, action, target and request, and the request comes first; same-looking requests
 * are answered in order.
 */
export function pairAuditEntries(entries: readonly AuditEntry[]): AuditAction[] {
  const key = (e: AuditEntry) => JSON.stringify([e.actor, e.action, e.target, e.request]);
  const waiting = new Map<string, { requested: AuditEntry; result: AuditEntry | undefined }[]>();
  const actions: { requested: AuditEntry | undefined; result: AuditEntry | undefined }[] = [];
  const oldestFirst = [...entries].sort((a, b) =>
    a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0,
  );
  for (const e of oldestFirst) {
    if (e.result === "requested") {
      const action = { requested: e, result: undefined };
      actions.push(action);
      const queue = waiting.get(key(e));
      if (queue === undefined) waiting.set(key(e), [action]);
      else queue.push(action);
      continue;
    }
    const action = waiting.get(key(e))?.shift();
    if (action === undefined) actions.push({ requested: undefined, result: e });
    else action.result = e;
  }
  return actions.reverse();
}
