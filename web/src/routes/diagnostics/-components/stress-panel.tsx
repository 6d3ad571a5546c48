import { useEffect, useRef, useState } from "react";
import {
  deleteStressDatabase,
  reopenCheck,
  runIndexedDbStress,
  type StepTiming,
  type StressResult,
  StressStep,
} from "../../../diagnostics/indexeddb-stress.ts";
import { formatCount } from "../../../ui/format.ts";

/** sessionStorage key of the check that runs after a reload of the page. */
export const RELOAD_CHECK_KEY = "langtian.diagnostics.reloadCheck";

const STEP_LABELS: Record<StressStep, string> = {
  write: "Write (few large transactions, relaxed durability)",
  naiveWrite: "Write, naive loop (1,000-record transactions, each put awaited)",
  readAll: "Read back (getAll)",
  rangeQuery: "Index range query (a tenth, by time)",
  reopen: "Close, reopen and count",
  chunkedWrite: "Chunked: write (1,000 records per value)",
  chunkedReadAll: "Chunked: read back (getAll)",
  chunkedRangeQuery: "Chunked: range query (a tenth, by time)",
};

/** Goals of the stress test on a desktop (WebView2) machine. */
const GOALS = { writeMs: 2000, readMs: 500, speedup: 2 } as const;

interface ReloadCheck {
  readonly expected: number;
  readonly reloadedAtMs: number;
}

type Run =
  | { readonly state: "idle" }
  | { readonly state: "running"; readonly step: StressStep }
  | { readonly state: "done"; readonly result: StressResult }
  | { readonly state: "failed"; readonly error: string };

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

function rate(t: StepTiming): string {
  return `${formatCount(Math.round(t.records / Math.max(t.ms / 1000, 1e-6)))}/s`;
}

/** The IndexedDB stress test: run, timings, reload check. */
export function StressPanel({ count, autoRun }: { count: number; autoRun: boolean }) {
  const [run, setRun] = useState<Run>({ state: "idle" });
  const [naive, setNaive] = useState(true);
  const [afterReload, setAfterReload] = useState<
    { timing: StepTiming; expected: number } | { error: string } | undefined
  >();
  const [deleteError, setDeleteError] = useState<string | undefined>();
  const started = useRef(false);

  const start = async () => {
    setRun({ state: "running", step: StressStep.write });
    try {
      const result = await runIndexedDbStress({
        count,
        naiveCount: naive ? count : 0,
        onStep: (step) => setRun({ state: "running", step }),
      });
      setRun({ state: "done", result });
    } catch (err) {
      setRun({ state: "failed", error: err instanceof Error ? err.message : String(err) });
    }
  };

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    // A reload asked by "Reload and check": count what survived it.
    const pending = sessionStorage.getItem(RELOAD_CHECK_KEY);
    if (pending !== null) {
      sessionStorage.removeItem(RELOAD_CHECK_KEY);
      const check = JSON.parse(pending) as ReloadCheck;
      reopenCheck().then(
        (timing) => setAfterReload({ timing, expected: check.expected }),
        (err: unknown) => setAfterReload({ error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    if (autoRun) void start();
    // Once per mount: the first render's values decide.
  });

  const reloadAndCheck = (expected: number) => {
    const check: ReloadCheck = { expected, reloadedAtMs: Date.now() };
    sessionStorage.setItem(RELOAD_CHECK_KEY, JSON.stringify(check));
    location.reload();
  };

  const running = run.state === "running";
  return (
    <section className="panel" aria-labelledby="stress-title">
      <h2 id="stress-title">IndexedDB stress test</h2>
      <p className="muted">
        Writes {formatCount(count)} records into a test database of this browser, reads them back, queries an
        index and reopens the database. Change the count with <code>?count=</code> in the address.
      </p>
      <div className="toolbar">
        <label className="inline">
          <input
            type="checkbox"
            checked={naive}
            disabled={running}
            onChange={(e) => setNaive(e.target.checked)}
          />
          Also run the naive loop for comparison
        </label>
        <button
          type="button"
          className="primary"
          disabled={running}
          onClick={() => void start()}
          data-testid="stress-run"
        >
          {running ? "Running…" : "Run stress test"}
        </button>
        <button
          type="button"
          disabled={running || run.state !== "done"}
          onClick={() => run.state === "done" && reloadAndCheck(run.result.count)}
          title="Reloads the page, then counts the records again"
        >
          Reload and check
        </button>
        <button
          type="button"
          disabled={running}
          onClick={() => {
            setDeleteError(undefined);
            deleteStressDatabase().then(
              () => {
                setRun({ state: "idle" });
                setAfterReload(undefined);
              },
              // A refusal (another tab holds the database open, storage blocked) is shown, not thrown.
              (err: unknown) => setDeleteError(err instanceof Error ? err.message : String(err)),
            );
          }}
        >
          Delete test data
        </button>
      </div>
      {deleteError === undefined ? null : (
        <div className="state state-error" role="alert" data-testid="stress-delete-error">
          <strong>The test data could not be deleted</strong>
          <div className="state-detail">{deleteError}</div>
        </div>
      )}
      {run.state === "running" ? (
        <div className="state state-loading" role="status" aria-live="polite">
          <span className="spinner" aria-hidden="true" />
          {STEP_LABELS[run.step]}…
        </div>
      ) : null}
      {run.state === "failed" ? (
        <div className="state state-error" role="alert">
          <strong>The stress test failed</strong>
          <div className="state-detail">{run.error}</div>
        </div>
      ) : null}
      {run.state === "done" ? <StressTable result={run.result} /> : null}
      {afterReload === undefined ? null : "error" in afterReload ? (
        <div className="state state-error" role="alert">
          <strong>After the reload the database could not be read</strong>
          <div className="state-detail">{afterReload.error}</div>
        </div>
      ) : (
        <div
          className={`reload-check ${afterReload.timing.records === afterReload.expected ? "ok" : "bad"}`}
          role="status"
          data-testid="reload-check"
        >
          After the reload: {formatCount(afterReload.timing.records)} of {formatCount(afterReload.expected)}{" "}
          records found, opened and counted in {ms(afterReload.timing.ms)}.
        </div>
      )}
    </section>
  );
}

function Goal({ met, children }: { met: boolean; children: string }) {
  return (
    <span
      className={`badge ${met ? "badge-ok" : "badge-bad"}`}
    >{`${children}: ${met ? "met" : "not met"}`}</span>
  );
}

function StressTable({ result }: { result: StressResult }) {
  const rows: [StressStep, StepTiming | undefined][] = [
    [StressStep.write, result.write],
    [StressStep.naiveWrite, result.naiveWrite],
    [StressStep.readAll, result.readAll],
    [StressStep.rangeQuery, result.rangeQuery],
    [StressStep.reopen, result.reopen],
    [StressStep.chunkedWrite, result.chunked?.write],
    [StressStep.chunkedReadAll, result.chunked?.readAll],
    [StressStep.chunkedRangeQuery, result.chunked?.rangeQuery],
  ];
  return (
    <div data-testid="stress-result">
      <table className="list">
        <caption className="visually-hidden">Stress test timings</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Records</th>
            <th scope="col">Transactions</th>
            <th scope="col">Time</th>
            <th scope="col">Rate</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([step, t]) =>
            t === undefined ? null : (
              <tr key={step} data-step={step}>
                <th scope="row">{STEP_LABELS[step]}</th>
                <td>{formatCount(t.records)}</td>
                <td>{formatCount(t.transactions)}</td>
                <td className="mono" data-testid={`stress-ms-${step}`}>
                  {ms(t.ms)}
                </td>
                <td className="mono">{rate(t)}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
      <p className="goals">
        <Goal met={result.write.ms <= GOALS.writeMs}>{`Write ≤ ${GOALS.writeMs / 1000} s`}</Goal>{" "}
        <Goal met={result.readAll.ms <= GOALS.readMs}>{`Read back ≤ ${GOALS.readMs} ms`}</Goal>{" "}
        {result.chunked === undefined ? null : (
          <Goal met={result.chunked.write.ms <= GOALS.writeMs && result.chunked.readAll.ms <= GOALS.readMs}>
            {`Chunked: write ≤ ${GOALS.writeMs / 1000} s and read back ≤ ${GOALS.readMs} ms`}
          </Goal>
        )}{" "}
        {result.speedup === undefined ? null : (
          <Goal met={result.speedup >= GOALS.speedup}>
            {`${result.speedup.toFixed(1)}× the naive loop (goal ≥ ${GOALS.speedup}×)`}
          </Goal>
        )}
      </p>
    </div>
  );
}
