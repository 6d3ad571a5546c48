import { createConnectQueryKey, skipToken, useMutation, useQuery } from "@connectrpc/connect-query";
import { AdminService, type ConnectorConfigRevision } from "@langtian/proto";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDialog } from "../../../ui/confirm-dialog.tsx";
import { formatTime } from "../../../ui/format.ts";
import { describeError, EmptyState, QueryView } from "../../../ui/query-state.tsx";
import { ConfigDiff } from "./config-diff.tsx";

/** Why a viewer's rollback buttons are disabled. */
const VIEWER_HINT_ID = "rollback-viewer-hint";

/**
 * The revisions the bucket keeps, newest first (the newest is the running one): what each
 * changed against the one before, or between any two chosen in the URL, and rollback of an
 * earlier one (operator only, after confirmation) as a new revision.
 */
export function ConfigHistory({
  from,
  to,
  onCompare,
  isOperator,
}: {
  from: number | undefined;
  to: number | undefined;
  onCompare: (from: number, to: number) => void;
  isOperator: boolean;
}) {
  const revisions = useQuery(AdminService.method.listConnectorConfigRevisions, { limit: 64 });
  const [confirming, setConfirming] = useState<ConnectorConfigRevision | undefined>();
  const queryClient = useQueryClient();
  const rollback = useMutation(AdminService.method.rollbackConnectorConfig, {
    onSuccess: () =>
      void queryClient.invalidateQueries({
        queryKey: createConnectQueryKey({ schema: AdminService, cardinality: undefined }),
      }),
  });
  return (
    <div className="config-history">
      {isOperator ? null : (
        <p className="hint" id={VIEWER_HINT_ID}>
          Rolling back needs the operator role; you are logged in as a viewer.
        </p>
      )}
      {rollback.isSuccess && rollback.data.config !== undefined ? (
        <p role="status" className="config-written">
          <span className="badge badge-ok">rolled back</span> Revision {String(rollback.data.config.revision)}{" "}
          written with the value of revision {String(rollback.variables.revision)}.
        </p>
      ) : null}
      {rollback.isError ? (
        <div className="state state-error" role="alert">
          <strong>Not rolled back: {describeError(rollback.error).title}</strong>
          <div className="state-detail">{describeError(rollback.error).detail}</div>
        </div>
      ) : null}
      <QueryView
        query={revisions}
        loadingLabel="Loading revisions…"
        isEmpty={(data) => data.revisions.length === 0}
        empty={
          <EmptyState title="No revisions">
            No configuration was written yet: every bridge applies its own. Save one in the Edit view.
          </EmptyState>
        }
      >
        {(data) => (
          <table className="list" aria-label="Revisions">
            <thead>
              <tr>
                <th scope="col">Revision</th>
                <th scope="col">Written</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.revisions.map((r, i) => {
                const previous = data.revisions[i + 1];
                const current = i === 0;
                const comparing = to === Number(r.revision);
                return (
                  <tr
                    key={String(r.revision)}
                    className={comparing ? "active" : undefined}
                    data-testid="revision"
                  >
                    <td className="mono">{String(r.revision)}</td>
                    <td>{formatTime(r.time)}</td>
                    <td>
                      {current ? <span className="badge badge-ok">running</span> : null}{" "}
                      {r.deleted ? <span className="badge badge-warn">deleted</span> : null}
                    </td>
                    <td className="config-row-actions">
                      <button
                        type="button"
                        aria-label={`Changes of revision ${r.revision}`}
                        disabled={previous === undefined}
                        onClick={() =>
                          previous === undefined
                            ? undefined
                            : onCompare(Number(previous.revision), Number(r.revision))
                        }
                      >
                        Changes
                      </button>
                      {current ? null : (
                        <button
                          type="button"
                          className="danger"
                          disabled={!isOperator || r.deleted || rollback.isPending}
                          aria-describedby={isOperator ? undefined : VIEWER_HINT_ID}
                          onClick={() => setConfirming(r)}
                        >
                          Roll back to {String(r.revision)}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </QueryView>
      {from === undefined || to === undefined ? null : <RevisionDiff from={from} to={to} />}
      <ConfirmDialog
        open={confirming !== undefined}
        title={`Roll back to revision ${String(confirming?.revision ?? "")}?`}
        confirmLabel="Roll back"
        danger
        onCancel={() => setConfirming(undefined)}
        onConfirm={() => {
          const revision = confirming?.revision;
          setConfirming(undefined);
          if (revision !== undefined) rollback.mutate({ revision });
        }}
      >
        <p>
          Its value is written again as a new revision, and every bridge applies it between two messages. The
          revisions in between stay in the history.
        </p>
        {confirming === undefined ? null : <RollbackDiff revision={confirming.revision} />}
      </ConfirmDialog>
    </div>
  );
}

/** What rolling back to `revision` changes: its fields against the running revision's. */
function RollbackDiff({ revision }: { revision: bigint }) {
  const diff = useQuery(
    AdminService.method.diffConnectorConfig,
    { fromRevision: 0n, toRevision: revision },
    { meta: { offline: false } },
  );
  return (
    <QueryView query={diff} loadingLabel="Comparing with the running revision…">
      {(data) => (
        <ConfigDiff
          changes={data.changes}
          label={`Changes of rolling back to revision ${revision}`}
          emptyText="No changes: the same routing and settings as the running revision."
        />
      )}
    </QueryView>
  );
}

/** The fields that differ between two revisions. */
export function RevisionDiff({ from, to }: { from: number; to: number }) {
  const diff = useQuery(
    AdminService.method.diffConnectorConfig,
    from > 0 && to > 0 ? { fromRevision: BigInt(from), toRevision: BigInt(to) } : skipToken,
  );
  return (
    <section className="panel config-revision-diff" aria-labelledby="revision-diff-title">
      <h2 id="revision-diff-title">
        Changes from revision {from} to {to}
      </h2>
      <QueryView query={diff} loadingLabel="Comparing…">
        {(data) => (
          <ConfigDiff
            changes={data.changes}
            label={`Changes from revision ${from} to ${to}`}
            emptyText="No changes: the same routing and settings."
          />
        )}
      </QueryView>
    </section>
  );
}
