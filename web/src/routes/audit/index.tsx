import { useQuery } from "@connectrpc/connect-query";
import { AdminService, type AuditEntry } from "@langtian/proto";
import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { ColumnWidths } from "../../ui/column-widths.tsx";
import { formatTime } from "../../ui/format.ts";
import { Page } from "../../ui/page.tsx";
import { plural } from "../../ui/plural.ts";
import { EmptyState, QueryView } from "../../ui/query-state.tsx";
import { type AuditAction, firstEntryOf, pairAuditEntries } from "./-components/audit-actions.ts";
import {
  type AuditSearch,
  KNOWN_ACTIONS,
  pageSizeOf,
  validateAuditSearch,
} from "./-components/audit-search.ts";
import "../../ui/page-parts.css";
import "./-components/audit.css";

export const Route = createFileRoute("/audit/")({
  validateSearch: validateAuditSearch,
  component: AuditPage,
});

/** Changes to the search params; undefined removes one. */
type SearchPatch = { [K in keyof AuditSearch]?: AuditSearch[K] | undefined };

/** Who did what and when: every mutating action, newest first, as the admin audited it. */
function AuditPage() {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: "/audit/" });
  const limit = pageSizeOf(search);
  const audit = useQuery(AdminService.method.listAudit, {
    limit,
    beforeSequence: BigInt(search.before ?? 0),
  });
  const setSearch = (patch: SearchPatch) =>
    void navigate({
      search: (prev) => {
        const merged: Record<string, unknown> = { ...prev, ...patch };
        for (const k of Object.keys(merged))
          if (merged[k] === undefined || merged[k] === "") delete merged[k];
        return merged as AuditSearch;
      },
    });
  const matches = (e: AuditEntry) =>
    (search.actor === undefined || e.actor.toLowerCase() === search.actor.toLowerCase()) &&
    (search.action === undefined || e.action === search.action);
  return (
    <Page
      title="Audit"
      actions={
        <button type="button" onClick={() => void audit.refetch()} disabled={audit.isFetching}>
          Refresh
        </button>
      }
    >
      <p className="hint">
        Every change (drains, replays, configuration) is recorded before it acts and again with its result;
        each row here is one change and how it ended.
      </p>
      <Filters
        key={`${search.actor ?? ""}|${search.action ?? ""}`}
        search={search}
        seenActions={audit.data?.entries.map((e) => e.action) ?? []}
        onApply={(patch) => setSearch({ ...patch, before: undefined, newer: undefined })}
      />
      <QueryView
        query={audit}
        loadingLabel="Loading the audit log…"
        isEmpty={(data) => data.entries.length === 0}
        empty={
          <EmptyState title="No audit entries">
            {search.before === undefined ? "Nothing was changed yet." : "No older entries."}
          </EmptyState>
        }
      >
        {(data) => {
          // The two entries of each action (requested, then its result) as one row.
          const shown = pairAuditEntries(data.entries.filter(matches));
          const oldest = data.entries.at(-1)?.sequence;
          return (
            <>
              {shown.length === 0 ? (
                <EmptyState title="No entries match">
                  None of these {data.entries.length} entries is by this actor and action; try older ones.
                </EmptyState>
              ) : (
                <AuditTable actions={shown} />
              )}
              <nav className="pager" aria-label="Pages">
                <span className="audit-note">
                  {plural(shown.length, "action")} from {plural(data.entries.length, "entry", "entries")}
                  {data.entries.length > 0 ? `, sequences ${data.entries[0]?.sequence} to ${oldest}` : ""}
                </span>
                <button
                  type="button"
                  disabled={search.before === undefined}
                  onClick={() => setSearch({ before: undefined, newer: undefined })}
                >
                  Newest
                </button>
                <button
                  type="button"
                  disabled={search.before === undefined}
                  onClick={() => {
                    const newer = search.newer ?? [];
                    setSearch({
                      before: newer.at(-1),
                      newer: newer.length > 1 ? newer.slice(0, -1) : undefined,
                    });
                  }}
                >
                  Newer
                </button>
                <button
                  type="button"
                  disabled={oldest === undefined || oldest <= 1n || data.entries.length < limit}
                  onClick={() =>
                    setSearch({
                      before: Number(oldest),
                      newer:
                        search.before === undefined ? undefined : [...(search.newer ?? []), search.before],
                    })
                  }
                >
                  Older
                </button>
              </nav>
            </>
          );
        }}
      </QueryView>
    </Page>
  );
}

function Filters({
  search,
  seenActions,
  onApply,
}: {
  search: AuditSearch;
  seenActions: readonly string[];
  onApply: (patch: SearchPatch) => void;
}) {
  const [actor, setActor] = useState(search.actor ?? "");
  const actions = [
    ...new Set([...KNOWN_ACTIONS, ...seenActions, ...(search.action ? [search.action] : [])]),
  ].sort();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply({ actor: actor.trim() });
  };
  return (
    <form className="toolbar" onSubmit={submit} aria-label="Filter the audit log">
      <label>
        Actor
        <input value={actor} onChange={(e) => setActor(e.target.value)} placeholder="anyone" />
      </label>
      <label>
        Action
        <select
          value={search.action ?? ""}
          onChange={(e) => onApply({ action: e.target.value, actor: actor.trim() })}
        >
          <option value="">Any action</option>
          {actions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Apply</button>
      <button
        type="button"
        onClick={() => {
          setActor("");
          onApply({ actor: undefined, action: undefined });
        }}
      >
        Clear
      </button>
    </form>
  );
}

/** An action's result: its code, or that none was written (yet). */
function resultOf(action: AuditAction) {
  const result = action.result?.result;
  if (result === undefined) return <span className="badge">in progress / no result</span>;
  if (result === "ok") return <span className="badge badge-ok">ok</span>;
  return <span className="badge badge-bad">{result}</span>;
}

function AuditTable({ actions }: { actions: readonly AuditAction[] }) {
  return (
    <table className="list fixed-table audit-table" aria-label="Audit entries">
      <ColumnWidths widths={[70, 190, 100, 190, undefined, 130]} />
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Time</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Target and detail</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {actions.map((a) => {
          const e = firstEntryOf(a);
          const detail = a.result?.detail ?? "";
          return (
            <tr key={String(e.sequence)} data-testid="audit-entry">
              <td
                className="mono"
                title={a.result === undefined ? undefined : `result: #${a.result.sequence}`}
              >
                {String(e.sequence)}
              </td>
              <td>{formatTime(e.time)}</td>
              <td>{e.actor}</td>
              <td className="mono">{e.action}</td>
              <td>
                <div className="mono">{e.target}</div>
                {detail === "" ? null : <div>{detail}</div>}
                {e.request === "" || e.request === "{}" ? null : (
                  <details>
                    <summary>Request</summary>
                    <pre>{prettyJson(e.request)}</pre>
                  </details>
                )}
              </td>
              <td>{resultOf(a)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
