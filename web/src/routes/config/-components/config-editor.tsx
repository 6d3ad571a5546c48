import { createConnectQueryKey, skipToken, useMutation, useQuery } from "@connectrpc/connect-query";
import { AdminService, type ConnectorConfigRevision } from "@langtian/proto";
import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { ConfirmDialog } from "../../../ui/confirm-dialog.tsx";
import { formatTime } from "../../../ui/format.ts";
import { describeError } from "../../../ui/query-state.tsx";
import { TextPositionView } from "../../../ui/text-position.tsx";
import { ConfigDiff } from "./config-diff.tsx";
import { RevisionDiff } from "./config-history.tsx";
import { jsonErrorPosition } from "./json-error-position.ts";
import { useDebounced } from "./use-debounced.ts";

/** How long the value must rest before the server checks it. */
const VALIDATE_DEBOUNCE_MS = 400;

/** A starting point when no configuration was ever written (bridges apply their own until then). */
const TEMPLATE = `${JSON.stringify(
  {
    topics: {
      rules: ["eda.>=eda.events"],
      defaultTopic: "eda.events",
      deadLetterTopic: "eda.bridge.dead-letter",
    },
    pipeline: {},
  },
  null,
  2,
)}\n`;

/** Why a viewer's save button is disabled. */
const VIEWER_HINT_ID = "config-viewer-hint";

/**
 * Unsaved edits: the value as typed and the revision it was edited from. Kept by the page, above
 * the editor, so switching to the history and back, or a new running revision, loses nothing.
 */
export interface ConfigDraft {
  readonly value: string;
  /** The revision the edit started from; undefined when none was ever written. */
  readonly base: ConnectorConfigRevision | undefined;
}

/** The editable text of a revision: its value, or the template when there is none. */
function editableText(revision: ConnectorConfigRevision | undefined): string {
  return revision === undefined || revision.deleted ? TEMPLATE : revision.value;
}

/** A revision's number; 0 for none. */
function numberOf(revision: ConnectorConfigRevision | undefined): bigint {
  return revision?.revision ?? 0n;
}

/**
 * The shared connector configuration as editable JSON: checked by the server (the bridge's own
 * rules) as the user types, debounced, with every problem under the editor; the dry-run routing
 * of sample subjects and the diff against the running revision; saving writes a new revision
 * over the one it was edited from (operator only, after confirmation).
 */
export function ConfigEditor({
  running,
  draft,
  onDraft,
  subjects,
  onSubjects,
  isOperator,
  onSaved,
}: {
  /** The running revision; undefined when none was ever written. */
  running: ConnectorConfigRevision | undefined;
  /** Unsaved edits; undefined = none, the editor shows the running revision. */
  draft: ConfigDraft | undefined;
  onDraft: (draft: ConfigDraft | undefined) => void;
  subjects: readonly string[];
  onSubjects: (subjects: string[]) => void;
  isOperator: boolean;
  /** Called with the revision written (the editor then starts over from it). */
  onSaved: (revision: ConnectorConfigRevision) => void;
}) {
  const base = draft === undefined ? running : draft.base;
  const initial = editableText(base);
  const value = draft?.value ?? initial;
  // Typing back to the revision's own text is no edit: the editor follows the running one again.
  const setValue = (next: string) => onDraft(next === initial ? undefined : { value: next, base });
  // Someone (or another tab) saved a new revision while this one was being edited.
  const overtaken = draft !== undefined && numberOf(draft.base) !== numberOf(running);
  const [subjectText, setSubjectText] = useState(subjects.join("\n"));
  const [confirming, setConfirming] = useState(false);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const queryClient = useQueryClient();
  const debounced = useDebounced(value, VALIDATE_DEBOUNCE_MS);
  const typing = debounced !== value;
  const validation = useQuery(
    AdminService.method.validateConnectorConfig,
    { value: debounced, sampleSubjects: [...subjects] },
    // Every keystroke's answer would fill the offline cache: not kept.
    { meta: { offline: false }, placeholderData: keepPreviousData },
  );
  const valid = validation.data?.valid === true && !validation.isPlaceholderData;
  const diff = useQuery(
    AdminService.method.diffConnectorConfig,
    valid ? { fromRevision: 0n, toValue: debounced } : skipToken,
    { meta: { offline: false } },
  );
  const save = useMutation(AdminService.method.setConnectorConfig, {
    onSuccess: (response) => {
      if (response.config !== undefined) onSaved(response.config);
      void queryClient.invalidateQueries({
        queryKey: createConnectQueryKey({ schema: AdminService, cardinality: undefined }),
      });
    },
  });
  const unchanged = running !== undefined && !running.deleted && diff.data?.changes.length === 0;
  const problems = validation.data?.valid === false ? validation.data.problems : [];
  const canSave =
    isOperator && valid && !typing && !unchanged && !overtaken && !save.isPending && diff.data !== undefined;

  return (
    <div className="config-editor">
      {overtaken && draft !== undefined ? (
        <Overtaken
          base={draft.base}
          running={running}
          onKeep={() => onDraft({ value, base: running })}
          onDiscard={() => onDraft(undefined)}
        />
      ) : null}
      <div className="config-columns">
        <div className="config-value">
          <label htmlFor="config-value" className="config-label">
            Value (JSON)
            <span className="hint">
              {base === undefined
                ? "No configuration was written yet: bridges apply their own."
                : `Edited from revision ${base.revision} of ${formatTime(base.time)}.`}
            </span>
          </label>
          <textarea
            ref={textarea}
            id="config-value"
            className="mono config-textarea"
            value={value}
            spellCheck={false}
            aria-invalid={problems.length > 0}
            aria-describedby="config-check"
            onChange={(e) => {
              setValue(e.target.value);
              save.reset();
            }}
          />
          <div id="config-check" className="config-check" aria-live="polite">
            {validation.isError ? (
              <p className="field-error">Cannot check the value: {describeError(validation.error).detail}</p>
            ) : typing || validation.data === undefined || validation.isPlaceholderData ? (
              <p className="hint">Checking…</p>
            ) : problems.length > 0 ? (
              <div className="field-error" role="alert">
                <strong>Invalid configuration</strong>
                <ul data-testid="config-problems">
                  {problems.map((p) => {
                    // The bridge's check says "not JSON: <the parser's message>": where, as the SQL console shows it.
                    const position = p.startsWith("not JSON") ? jsonErrorPosition(p, debounced) : undefined;
                    return (
                      <li key={p}>
                        {p}
                        {position === undefined ? null : (
                          <TextPositionView
                            text={debounced}
                            position={position}
                            testId="config-json-error"
                            onShow={() => {
                              const el = textarea.current;
                              if (el === null) return;
                              el.focus();
                              el.setSelectionRange(
                                position.offset,
                                Math.min(el.value.length, position.offset + 1),
                              );
                            }}
                          />
                        )}
                      </li>
                    );
                  })}
                </ul>
              </div>
            ) : (
              <p className="config-valid">
                <span className="badge badge-ok">valid</span> as the bridges check it
              </p>
            )}
          </div>
          <div className="config-actions">
            <button
              type="button"
              className="primary"
              disabled={!canSave}
              aria-describedby={isOperator ? undefined : VIEWER_HINT_ID}
              onClick={() => setConfirming(true)}
            >
              Save as a new revision
            </button>
            <button type="button" onClick={() => onDraft(undefined)} disabled={draft === undefined}>
              Discard changes
            </button>
            {isOperator ? null : (
              <span className="hint" id={VIEWER_HINT_ID}>
                Saving needs the operator role; you are logged in as a viewer.
              </span>
            )}
          </div>
          {save.isError ? (
            <div className="state state-error" role="alert">
              <strong>Not saved: {describeError(save.error).title}</strong>
              <div className="state-detail">{describeError(save.error).detail}</div>
            </div>
          ) : null}
        </div>
        <div className="config-side">
          <section aria-labelledby="config-diff-title">
            <h2 id="config-diff-title">Changes against the running revision</h2>
            {valid && diff.data !== undefined ? (
              <ConfigDiff
                changes={diff.data.changes}
                label="Changes against the running revision"
                emptyText="No changes: the same routing and settings as the running revision."
              />
            ) : (
              <p className="hint">Shown once the value is valid.</p>
            )}
          </section>
          <section aria-labelledby="config-routes-title">
            <h2 id="config-routes-title">Dry run: where subjects go</h2>
            <label className="config-label">
              Sample subjects, one per line
              <textarea
                className="mono config-subjects"
                value={subjectText}
                rows={3}
                onChange={(e) => setSubjectText(e.target.value)}
                onBlur={() =>
                  onSubjects(
                    subjectText
                      .split("\n")
                      .map((s) => s.trim())
                      .filter((s) => s !== ""),
                  )
                }
              />
            </label>
            {valid && validation.data !== undefined && validation.data.routes.length > 0 ? (
              <table className="list" aria-label="Routing of the sample subjects">
                <thead>
                  <tr>
                    <th scope="col">Subject</th>
                    <th scope="col">Topic</th>
                    <th scope="col">Rule</th>
                  </tr>
                </thead>
                <tbody>
                  {validation.data.routes.map((r) => (
                    <tr key={r.subject}>
                      <td className="mono">{r.subject}</td>
                      <td className="mono">
                        {r.problem === "" ? r.topic : <span className="field-error">{r.problem}</span>}
                      </td>
                      <td className="mono">{r.rule === "" ? "default topic" : r.rule}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </section>
        </div>
      </div>
      <ConfirmDialog
        open={confirming}
        title="Save the configuration?"
        confirmLabel="Save"
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          // Written only over the revision it was edited from: if another was saved meanwhile, nothing is.
          save.mutate({ value: debounced, expectedRevision: numberOf(base) });
        }}
      >
        <p>
          A new revision replaces revision {base === undefined ? "— (none yet)" : String(base.revision)} with{" "}
          {diff.data?.changes.length ?? 0} changed field{diff.data?.changes.length === 1 ? "" : "s"}. Every
          bridge applies it between two messages. If someone saved meanwhile, nothing is written.
        </p>
      </ConfirmDialog>
    </div>
  );
}

/**
 * A new running revision arrived while there are unsaved edits of an older one: instead of
 * replacing the edits, says so and lets the user compare what changed, keep the edits (to save
 * them over the new revision) or discard them.
 */
function Overtaken({
  base,
  running,
  onKeep,
  onDiscard,
}: {
  base: ConnectorConfigRevision | undefined;
  running: ConnectorConfigRevision | undefined;
  onKeep: () => void;
  onDiscard: () => void;
}) {
  const [comparing, setComparing] = useState(false);
  const from = Number(numberOf(base));
  const to = Number(numberOf(running));
  return (
    <div className="stale-banner config-overtaken" role="alert">
      <p>
        <strong>
          {running === undefined
            ? "The configuration was deleted meanwhile"
            : `Revision ${to} was saved meanwhile`}
        </strong>{" "}
        — your unsaved changes are edits of {base === undefined ? "the template" : `revision ${from}`}.
        Compare what changed, keep your changes (to save them over revision {to}), or discard them.
      </p>
      <div className="config-actions">
        <button type="button" aria-expanded={comparing} onClick={() => setComparing(!comparing)}>
          Compare
        </button>
        <button type="button" onClick={onKeep}>
          Keep my changes
        </button>
        <button type="button" className="danger" onClick={onDiscard}>
          Discard my changes
        </button>
      </div>
      {!comparing ? null : from > 0 && to > 0 ? (
        <RevisionDiff from={from} to={to} />
      ) : (
        <pre className="config-preview">{editableText(running)}</pre>
      )}
    </div>
  );
}
