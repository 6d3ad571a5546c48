import { createConnectQueryKey, useMutation, useQuery } from "@connectrpc/connect-query";
import { AdminService, type DeadLetter, type ReplayResult } from "@langtian/proto";
import { useQueryClient } from "@tanstack/react-query";
import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { useIsOperator } from "../../api/use-auth.ts";
import { ColumnWidths } from "../../ui/column-widths.tsx";
import { ConfirmDialog } from "../../ui/confirm-dialog.tsx";
import { formatTime } from "../../ui/format.ts";
import { Page } from "../../ui/page.tsx";
import { describeError, EmptyState, QueryView } from "../../ui/query-state.tsx";
import { DeadLetterInspector, rawSize } from "./-components/dead-letter-inspector.tsx";
import {
  type DeadLettersSearch,
  fromLocalInput,
  listRequestOf,
  Stage,
  toLocalInput,
  validateDeadLettersSearch,
} from "./-components/dead-letters-search.ts";
import { ReplayResults } from "./-components/replay-results.tsx";
import "../../ui/page-parts.css";
import "./-components/dead-letters.css";

export const Route = createFileRoute("/dead-letters/")({
  validateSearch: validateDeadLettersSearch,
  component: DeadLettersPage,
});

/** Changes to the search params; undefined removes one. */
type SearchPatch = { [K in keyof DeadLettersSearch]?: DeadLettersSearch[K] | undefined };

/** Why a viewer's replay buttons are disabled (referenced by aria-describedby). */
const VIEWER_HINT_ID = "replay-viewer-hint";

function DeadLettersPage() {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: "/dead-letters/" });
  const isOperator = useIsOperator();
  const queryClient = useQueryClient();
  const list = useQuery(AdminService.method.listDeadLetters, listRequestOf(search));
  // The selection belongs to the view it was made in: another filter or page (not the open
  // item) starts empty, so "Replay selected" never replays rows that are not on screen.
  const { open: _open, ...listed } = search;
  const viewKey = JSON.stringify(listed);
  const [selection, setSelection] = useState<{ key: string; ids: ReadonlySet<string> }>({
    key: viewKey,
    ids: new Set(),
  });
  const selected: ReadonlySet<string> = selection.key === viewKey ? selection.ids : new Set();
  const setSelected = (ids: ReadonlySet<string>) => setSelection({ key: viewKey, ids });
  const [confirming, setConfirming] = useState<readonly string[] | undefined>();
  const [results, setResults] = useState<readonly ReplayResult[] | undefined>();
  const replay = useMutation(AdminService.method.replayDeadLetters, {
    onSuccess: (response) => {
      setResults(response.results);
      setSelected(new Set());
      // Replayed records may dead-letter again at a new position: list afresh.
      void queryClient.invalidateQueries({
        queryKey: createConnectQueryKey({
          schema: AdminService.method.listDeadLetters,
          cardinality: undefined,
        }),
      });
    },
  });

  const setSearch = (next: SearchPatch, keepPage = false) =>
    void navigate({
      search: (prev) => {
        const merged: Record<string, unknown> = { ...prev, ...next };
        if (!keepPage) {
          delete merged.cursor;
          delete merged.newer;
        }
        for (const k of Object.keys(merged))
          if (merged[k] === undefined || merged[k] === "") delete merged[k];
        return merged as DeadLettersSearch;
      },
    });

  const replayButton = (ids: readonly string[], label: string) => (
    <button
      type="button"
      className="primary"
      disabled={!isOperator || ids.length === 0 || replay.isPending}
      aria-describedby={isOperator ? undefined : VIEWER_HINT_ID}
      onClick={() => setConfirming(ids)}
    >
      {label}
    </button>
  );

  return (
    <Page
      title="Dead letters"
      actions={
        <>
          {replayButton([...selected], `Replay selected (${selected.size})`)}
          <button type="button" onClick={() => void list.refetch()} disabled={list.isFetching}>
            Refresh
          </button>
        </>
      }
    >
      {isOperator ? null : (
        <p className="hint" id={VIEWER_HINT_ID}>
          Replaying needs the operator role; you are logged in as a viewer.
        </p>
      )}
      <Filters search={search} onApply={(next) => setSearch(next)} />
      {replay.isError ? (
        <div className="state state-error" role="alert">
          <strong>Replay failed: {describeError(replay.error).title}</strong>
          <div className="state-detail">{describeError(replay.error).detail}</div>
        </div>
      ) : null}
      {results === undefined ? null : (
        <ReplayResults results={results} onDismiss={() => setResults(undefined)} />
      )}
      <QueryView
        query={list}
        loadingLabel="Loading dead letters…"
        isEmpty={(data) => data.deadLetters.length === 0 && Object.keys(data.errors).length === 0}
        empty={
          <EmptyState title="No dead letters">
            {search.cursor === undefined
              ? "Nothing matches these filters: every stage processed what it received."
              : "No more dead letters on this page."}
          </EmptyState>
        }
      >
        {(data) => (
          <>
            <StageErrors errors={data.errors} />
            <DeadLetterTable
              deadLetters={data.deadLetters}
              selected={selected}
              selectable={isOperator}
              openId={search.open}
              onSelect={setSelected}
              onOpen={(id) => setSearch({ open: id }, true)}
            />
            <nav className="pager" aria-label="Pages">
              <button
                type="button"
                disabled={search.cursor === undefined}
                onClick={() => setSearch({ cursor: undefined })}
              >
                Newest
              </button>
              <button
                type="button"
                disabled={search.cursor === undefined}
                onClick={() => {
                  const newer = search.newer ?? [];
                  setSearch(
                    {
                      cursor: newer.at(-1),
                      newer: newer.length > 1 ? newer.slice(0, -1) : undefined,
                    },
                    true,
                  );
                }}
              >
                Newer
              </button>
              <button
                type="button"
                disabled={data.nextCursor === ""}
                onClick={() =>
                  setSearch(
                    {
                      cursor: data.nextCursor,
                      newer:
                        search.cursor === undefined ? undefined : [...(search.newer ?? []), search.cursor],
                    },
                    true,
                  )
                }
              >
                Older
              </button>
            </nav>
          </>
        )}
      </QueryView>
      {search.open === undefined ? null : (
        <DeadLetterInspector
          id={search.open}
          onClose={() => {
            const id = search.open;
            setSearch({ open: undefined }, true);
            // Back to where the user was: the row's Inspect button.
            requestAnimationFrame(() =>
              [...document.querySelectorAll<HTMLButtonElement>("button[data-inspect]")]
                .find((b) => b.dataset.inspect === id)
                ?.focus(),
            );
          }}
          replay={(d: DeadLetter) => replayButton([d.id], "Replay this dead letter")}
        />
      )}
      <ConfirmDialog
        open={confirming !== undefined}
        title={`Replay ${confirming?.length ?? 0} dead letter${confirming?.length === 1 ? "" : "s"}?`}
        confirmLabel="Replay"
        onCancel={() => setConfirming(undefined)}
        onConfirm={() => {
          const ids = confirming ?? [];
          setConfirming(undefined);
          setResults(undefined);
          replay.mutate({ ids: [...ids] });
        }}
      >
        <p>
          Each is sent back to where it came from and flows again. Safe to repeat: the lake keeps one row per
          event id. A record that still cannot be processed becomes a new dead letter.
        </p>
        <ul className="confirm-ids">
          {(confirming ?? []).slice(0, 10).map((id) => (
            <li key={id} className="mono">
              {id}
            </li>
          ))}
          {(confirming?.length ?? 0) > 10 ? <li>… and {(confirming?.length ?? 0) - 10} more</li> : null}
        </ul>
      </ConfirmDialog>
    </Page>
  );
}

/** The filters: stage, reason, time range; applied to the URL on submit (stage at once). */
function Filters({ search, onApply }: { search: DeadLettersSearch; onApply: (next: SearchPatch) => void }) {
  const [reason, setReason] = useState(search.reason ?? "");
  const [since, setSince] = useState(toLocalInput(search.since));
  const [until, setUntil] = useState(toLocalInput(search.until));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply({ reason: reason.trim(), since: fromLocalInput(since), until: fromLocalInput(until) });
  };
  return (
    <form className="toolbar" onSubmit={submit} aria-label="Filter dead letters">
      <label>
        Stage
        <select
          value={search.stage ?? ""}
          onChange={(e) => onApply({ stage: (e.target.value || undefined) as Stage | undefined })}
        >
          <option value="">Every stage</option>
          <option value={Stage.collector}>Collector</option>
          <option value={Stage.bridge}>Bridge</option>
          <option value={Stage.lakeWriter}>Lake writer</option>
        </select>
      </label>
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="any" />
      </label>
      <label>
        Failed since
        <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
      </label>
      <label>
        Failed before
        <input type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
      </label>
      <button type="submit">Apply</button>
      <button
        type="button"
        onClick={() => {
          setReason("");
          setSince("");
          setUntil("");
          onApply({ stage: undefined, reason: undefined, since: undefined, until: undefined });
        }}
      >
        Clear
      </button>
    </form>
  );
}

/** Stages that could not be read: the others are still listed. */
function StageErrors({ errors }: { errors: Record<string, string> }) {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <div className="stale-banner" role="status">
      <strong>Not every stage could be read.</strong>
      <ul>
        {entries.map(([stage, why]) => (
          <li key={stage}>
            {stage}: {why}
          </li>
        ))}
      </ul>
    </div>
  );
}

function DeadLetterTable({
  deadLetters,
  selected,
  selectable,
  openId,
  onSelect,
  onOpen,
}: {
  deadLetters: readonly DeadLetter[];
  selected: ReadonlySet<string>;
  selectable: boolean;
  openId: string | undefined;
  onSelect: (next: ReadonlySet<string>) => void;
  onOpen: (id: string) => void;
}) {
  const allSelected = deadLetters.length > 0 && deadLetters.every((d) => selected.has(d.id));
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onSelect(next);
  };
  return (
    <div className="dl-table-wrap">
      <table className="list fixed-table dl-table" aria-label="Dead letters">
        <ColumnWidths widths={[36, 200, 90, 140, 140, undefined, 80, 100]} />
        <thead>
          <tr>
            <th scope="col" className="dl-check">
              <input
                type="checkbox"
                aria-label="Select every dead letter of this page"
                checked={allSelected}
                disabled={!selectable}
                onChange={() => onSelect(allSelected ? new Set() : new Set(deadLetters.map((d) => d.id)))}
              />
            </th>
            <th scope="col">Failed at</th>
            <th scope="col">Stage</th>
            <th scope="col">Reason</th>
            <th scope="col">Event type</th>
            <th scope="col">Error</th>
            <th scope="col">Size</th>
            <th scope="col">
              <span className="visually-hidden">Inspect</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {deadLetters.map((d) => (
            <tr key={d.id} aria-selected={d.id === openId} className={d.id === openId ? "active" : undefined}>
              <td className="dl-check">
                <input
                  type="checkbox"
                  aria-label={`Select ${d.id}`}
                  checked={selected.has(d.id)}
                  disabled={!selectable}
                  onChange={() => toggle(d.id)}
                />
              </td>
              <td className="nowrap">{formatTime(d.failedAt)}</td>
              <td>{d.stage}</td>
              <td className="mono">{d.reason}</td>
              <td className="mono">{d.eventType || "—"}</td>
              <td className="dl-error-cell" title={d.error}>
                {d.error}
              </td>
              <td className="nowrap">{rawSize(d.rawBytes)}</td>
              <td>
                <button
                  type="button"
                  onClick={() => onOpen(d.id)}
                  aria-label={`Inspect ${d.id}`}
                  data-inspect={d.id}
                >
                  Inspect
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
