import type { ReplayResult } from "@langtian/proto";

/** What became of each dead letter of a replay: sent again (and where), or why not. */
export function ReplayResults({
  results,
  onDismiss,
}: {
  results: readonly ReplayResult[];
  onDismiss: () => void;
}) {
  const replayed = results.filter((r) => r.replayed).length;
  return (
    <section className="panel replay-results" aria-labelledby="replay-results-title" aria-live="polite">
      <header className="panel-header">
        <h2 id="replay-results-title">Replay results</h2>
        <span className={`badge ${replayed === results.length ? "badge-ok" : "badge-warn"}`}>
          {replayed} of {results.length} replayed
        </span>
        <button type="button" onClick={onDismiss}>
          Dismiss
        </button>
      </header>
      <table className="list" aria-label="Replay results">
        <thead>
          <tr>
            <th scope="col">Dead letter</th>
            <th scope="col">Result</th>
            <th scope="col">Sent to, or why not</th>
          </tr>
        </thead>
        <tbody>
          {results.map((r) => (
            <tr key={r.id} data-testid="replay-result">
              <td className="mono">{r.id}</td>
              <td>
                {r.replayed ? (
                  <span className="badge badge-ok">replayed</span>
                ) : (
                  <span className="badge badge-bad">not replayed</span>
                )}
              </td>
              <td className="mono">{r.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
