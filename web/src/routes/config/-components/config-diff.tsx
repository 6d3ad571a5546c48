import type { ConnectorConfigChange } from "@langtian/proto";

/** What a change does to a field: added, removed or changed. */
function kindOf(c: ConnectorConfigChange): "added" | "removed" | "changed" {
  if (c.from === "") return "added";
  if (c.to === "") return "removed";
  return "changed";
}

/** The fields that differ between two configurations, one row each (`+`, `-`, `~`). */
export function ConfigDiff({
  changes,
  label,
  emptyText,
}: {
  changes: readonly ConnectorConfigChange[];
  label: string;
  emptyText: string;
}) {
  if (changes.length === 0) return <p className="hint">{emptyText}</p>;
  return (
    <table className="list config-diff" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => {
          const kind = kindOf(c);
          return (
            <tr key={c.path} className={`diff-${kind}`} data-testid="diff-row">
              <th scope="row" className="mono">
                <span aria-hidden="true" className="diff-mark">
                  {kind === "added" ? "+" : kind === "removed" ? "−" : "~"}
                </span>
                <span className="visually-hidden">{kind}: </span> {c.path}
              </th>
              <td className="mono diff-from">{c.from === "" ? "—" : c.from}</td>
              <td className="mono diff-to">{c.to === "" ? "—" : c.to}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
