import { useQuery } from "@connectrpc/connect-query";
import { AdminService, type ConnectorConfigRevision } from "@langtian/proto";
import { createFileRoute, Link, useBlocker, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { useIsOperator } from "../../api/use-auth.ts";
import { ConfirmDialog } from "../../ui/confirm-dialog.tsx";
import { Page } from "../../ui/page.tsx";
import { QueryView } from "../../ui/query-state.tsx";
import { type ConfigDraft, ConfigEditor } from "./-components/config-editor.tsx";
import { ConfigHistory } from "./-components/config-history.tsx";
import { ConfigView, DEFAULT_SUBJECTS, validateConfigSearch } from "./-components/config-search.ts";
import "../../ui/page-parts.css";
import "./-components/config.css";

export const Route = createFileRoute("/config/")({
  validateSearch: validateConfigSearch,
  component: ConfigPage,
});

/** The shared connector configuration every bridge applies: edit it, or its history. */
function ConfigPage() {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: "/config/" });
  const isOperator = useIsOperator();
  const view = search.view ?? ConfigView.edit;
  // Unsaved edits live here, above the views: the history view unmounts the editor, not them.
  const [draft, setDraft] = useState<ConfigDraft | undefined>();
  // Leaving the page (another page, the browser's back, closing the tab) with unsaved edits asks first.
  const leaving = useBlocker({
    shouldBlockFn: ({ next }) => next.pathname.replace(/\/$/, "") !== "/config",
    enableBeforeUnload: draft !== undefined,
    disabled: draft === undefined,
    withResolver: true,
  });
  return (
    <Page title="Configuration">
      <p className="hint">
        The shared connector configuration: the bridges' topic routing and live pipeline settings, applied by
        every bridge watching the bucket.
      </p>
      <nav className="config-views" aria-label="Configuration views">
        {/* The router marks a link current when its search is part of the URL's; each tab's own
            check covers the plain /config (no view), which is the edit view. */}
        <Link
          to="/config"
          search={{ view: ConfigView.edit }}
          aria-current={view === ConfigView.edit ? "page" : undefined}
        >
          Edit
        </Link>
        <Link
          to="/config"
          search={{ view: ConfigView.history }}
          aria-current={view === ConfigView.history ? "page" : undefined}
        >
          History
        </Link>
      </nav>
      {view === ConfigView.history ? (
        <ConfigHistory
          from={search.from}
          to={search.to}
          isOperator={isOperator}
          onCompare={(from, to) => void navigate({ search: (prev) => ({ ...prev, from, to }) })}
        />
      ) : (
        <EditView
          draft={draft}
          onDraft={setDraft}
          subjects={search.subjects ?? DEFAULT_SUBJECTS}
          isOperator={isOperator}
          onSubjects={(subjects) =>
            void navigate({
              search: (prev) => {
                const { subjects: _drop, ...rest } = prev;
                return subjects.length === 0 ? rest : { ...rest, subjects };
              },
              replace: true,
            })
          }
        />
      )}
      {leaving.status === "blocked" ? (
        <ConfirmDialog
          open
          title="Leave with unsaved changes?"
          confirmLabel="Leave and discard them"
          danger
          onCancel={() => leaving.reset()}
          onConfirm={() => leaving.proceed()}
        >
          <p>The configuration you edited was not saved; leaving discards your changes.</p>
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}

function EditView({
  draft,
  onDraft,
  subjects,
  isOperator,
  onSubjects,
}: {
  draft: ConfigDraft | undefined;
  onDraft: (draft: ConfigDraft | undefined) => void;
  subjects: readonly string[];
  isOperator: boolean;
  onSubjects: (subjects: string[]) => void;
}) {
  const current = useQuery(AdminService.method.getConnectorConfig, { revision: 0n });
  const [saved, setSaved] = useState<ConnectorConfigRevision | undefined>();
  return (
    <>
      {saved === undefined ? null : (
        <p className="config-written" role="status">
          <span className="badge badge-ok">saved</span> Revision {String(saved.revision)} written; every
          bridge watching the bucket applies it.
        </p>
      )}
      <QueryView query={current} loadingLabel="Loading the running configuration…">
        {(data) => (
          // Without edits the editor follows the running revision; with edits, a new running
          // revision is announced, never silently replaces them.
          <ConfigEditor
            running={data.config}
            draft={draft}
            onDraft={onDraft}
            subjects={subjects}
            onSubjects={onSubjects}
            isOperator={isOperator}
            onSaved={(revision) => {
              onDraft(undefined);
              setSaved(revision);
            }}
          />
        )}
      </QueryView>
    </>
  );
}
