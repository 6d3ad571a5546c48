import { useQuery } from "@connectrpc/connect-query";
import { QueryService } from "@langtian/proto";
import { formatBytes } from "../../../ui/format.ts";
import { plural } from "../../../ui/plural.ts";
import { EmptyState, QueryView } from "../../../ui/query-state.tsx";

/** A lake table no event contract names (dead letters, a transform's output): its live columns. */
export function TableColumns({ table }: { table: string }) {
  const described = useQuery(QueryService.method.describeTable, { table });
  return (
    <article className="schema-detail" aria-labelledby="table-title">
      <h2 id="table-title" className="mono">
        {table}
      </h2>
      <QueryView
        query={described}
        loadingLabel="Reading the table's columns…"
        isEmpty={(d) => d.columns.length === 0}
        empty={<EmptyState title="No columns" />}
      >
        {(d) => (
          <>
            {d.summary === undefined ? null : (
              <p className="hint" data-testid="table-size">
                {plural(d.summary.rows, "row")}, {plural(d.summary.files, "file")},{" "}
                {formatBytes(d.summary.bytes)}
                {d.partitioning.length === 0 ? "" : `; partitioned by ${d.partitioning.join(", ")}`}
              </p>
            )}
            <table className="list" aria-label={`Columns of ${table}`}>
              <thead>
                <tr>
                  <th scope="col">Column</th>
                  <th scope="col">Type</th>
                </tr>
              </thead>
              <tbody>
                {d.columns.map((c) => (
                  <tr key={c.name}>
                    <td className="mono">{c.name}</td>
                    <td className="mono">{c.type}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </QueryView>
    </article>
  );
}
