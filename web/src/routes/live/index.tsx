import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useEffect, useState } from "react";
import { formatCount } from "../../ui/format.ts";
import { HealthBadge } from "../../ui/health-badge.tsx";
import { Page } from "../../ui/page.tsx";
import { EmptyState, ErrorState, useNow } from "../../ui/query-state.tsx";
import { searchParser, text, wholeNumber, withoutDefault } from "../../ui/search-params.ts";
import { TailEvents } from "./-components/tail-events.tsx";
import { MAX_TAIL_EVENTS, useTail } from "./-components/use-tail.ts";
import "../../ui/page-parts.css";
import "./-components/live.css";

/** The subject filter the tail starts with: every event the collector publishes. */
export const DEFAULT_SUBJECT = "eda.events.>";
/** The admin's default and largest rates. */
const DEFAULT_RATE = 10;
const MAX_RATE = 1000;

/** The Live page's settings in the URL: the subject filter, the most events per second, the sampling. */
export interface LiveSearch {
  readonly subject?: string;
  readonly rate?: number;
  readonly sample?: number;
}

/**
 * The Live page's search from the URL or the settings form: valid values, defaults left out so
 * the default view's link stays bare (an invalid value means its default).
 */
const validateLiveSearch = searchParser<LiveSearch>({
  subject: withoutDefault(text, DEFAULT_SUBJECT),
  rate: withoutDefault(wholeNumber({ max: MAX_RATE }), DEFAULT_RATE),
  sample: withoutDefault(wholeNumber({ max: 1_000_000 }), 1),
});

export const Route = createFileRoute("/live/")({
  validateSearch: validateLiveSearch,
  component: LivePage,
});

/** The live tail: events of a subject filter as they arrive, decoded, with pause and sampling. */
function LivePage() {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: "/live/" });
  const subject = search.subject ?? DEFAULT_SUBJECT;
  const rate = search.rate ?? DEFAULT_RATE;
  const sample = search.sample ?? 1;
  const [paused, setPaused] = useState(false);
  const [restart, setRestart] = useState(0);
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set());
  const toggle = (seq: number) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });
  // An open row would slide down as events arrive: the tail pauses while one is open and
  // follows again from now when the last one closes (or the rows are cleared).
  const rowOpen = open.size > 0;
  const { state, clear } = useTail({ subject, rate, sample }, paused || rowOpen, restart);
  // Rows that left the list (Clear, new settings) are open no more.
  useEffect(
    () =>
      setOpen((s) => {
        const kept = new Set(state.events.filter((e) => s.has(e.seq)).map((e) => e.seq));
        return kept.size === s.size ? s : kept;
      }),
    [state.events],
  );
  const [draft, setDraft] = useState({ subject, rate: String(rate), sample: String(sample) });
  useEffect(() => setDraft({ subject, rate: String(rate), sample: String(sample) }), [subject, rate, sample]);
  const now = useNow(1000);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setPaused(false);
    void navigate({ search: validateLiveSearch(draft) });
  };

  const samplingNow = state.skippedAtMs !== undefined && now - state.skippedAtMs < 5_000;
  const seen = BigInt(state.received) + state.skipped;
  return (
    <Page
      title="Live"
      actions={
        <>
          <button type="button" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
            {paused ? "Resume" : "Pause"}
          </button>
          <button type="button" onClick={clear} disabled={state.events.length === 0}>
            Clear
          </button>
        </>
      }
    >
      <form className="toolbar tail-form" onSubmit={apply} aria-label="Tail settings">
        <label>
          Subject filter
          <input
            name="subject"
            value={draft.subject}
            onChange={(e) => setDraft({ ...draft, subject: e.target.value })}
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <label>
          Most events /s
          <input
            name="rate"
            type="number"
            min={1}
            max={MAX_RATE}
            value={draft.rate}
            onChange={(e) => setDraft({ ...draft, rate: e.target.value })}
          />
        </label>
        <label>
          One in
          <input
            name="sample"
            type="number"
            min={1}
            value={draft.sample}
            onChange={(e) => setDraft({ ...draft, sample: e.target.value })}
          />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
      </form>
      {/* Only the tail's state is announced (following, paused, ended, stopped): the counts
          below change with every event and stay out of the live region. */}
      <div className="tail-indicator" data-testid="tail-indicator">
        <span role="status" data-testid="tail-state">
          {state.status === "paused" ? (
            <HealthBadge
              health="unknown"
              label={rowOpen && !paused ? "Paused while a row is open" : "Paused"}
            />
          ) : state.status === "failed" ? (
            <HealthBadge health="bad" label="Stopped" />
          ) : state.status === "ended" ? (
            <HealthBadge health="unknown" label="Ended by the server" />
          ) : (
            <HealthBadge health="ok" label={`Following ${subject}`} />
          )}
        </span>
        {state.status === "ended" ? (
          <button type="button" onClick={() => setRestart((n) => n + 1)}>
            Follow again
          </button>
        ) : null}
        <span>
          <span className="figure">{formatCount(state.received)}</span> shown
        </span>
        <span data-testid="tail-skipped">
          <span className="figure">{formatCount(state.skipped)}</span> skipped
          {seen > 0n ? ` (${Math.round((Number(state.skipped) / Number(seen)) * 100)} %)` : ""}
        </span>
        {samplingNow ? (
          <span className="badge badge-warn" data-testid="sampling-badge">
            Sampling: over {rate}/s{sample > 1 ? ` or not 1 in ${sample}` : ""}
          </span>
        ) : sample > 1 ? (
          <span className="badge">1 in {sample}</span>
        ) : null}
        <span className="tail-note">last {MAX_TAIL_EVENTS} kept</span>
      </div>
      {state.status === "failed" ? (
        <ErrorState error={state.error} retry={() => setRestart((n) => n + 1)} />
      ) : null}
      {state.events.length === 0 ? (
        state.status === "failed" ? null : (
          <EmptyState title={paused ? "Paused" : `Waiting for events on ${subject}…`}>
            {paused
              ? "Resume to follow the subject again."
              : "Events appear here as they are published; the tail starts from now."}
          </EmptyState>
        )
      ) : (
        <TailEvents events={state.events} open={open} onToggle={toggle} />
      )}
    </Page>
  );
}
