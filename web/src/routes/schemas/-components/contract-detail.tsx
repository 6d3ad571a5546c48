import type { DescEnum, DescMessage } from "@bufbuild/protobuf";
import { skipToken, useQuery } from "@connectrpc/connect-query";
import type { EventContract } from "@langtian/contracts";
import { QueryService, type TableSummary } from "@langtian/proto";
import { formatBytes } from "../../../ui/format.ts";
import { plural } from "../../../ui/plural.ts";
import { describeError, QueryView } from "../../../ui/query-state.tsx";
import {
  ENVELOPE,
  ENVELOPE_COLUMNS,
  expectedColumns,
  fieldsOf,
  nestedTypesOf,
  sameColumnType,
} from "./event-contracts.ts";

/**
 * One event type: its envelope values, its payload's fields (protobuf types, the lake column
 * each becomes), the nested messages and enums, and the lake table's live columns beside the
 * ones the contract gives (missing or extra ones marked).
 */
export function ContractDetail({
  contract,
  summary,
  tablesError,
  tablesLoading,
}: {
  contract: EventContract;
  /** The lake table's size; undefined when the lake has no such table (yet) or could not be read. */
  summary: TableSummary | undefined;
  tablesError: unknown;
  /** The lake's tables are still being read. */
  tablesLoading: boolean;
}) {
  const described = useQuery(
    QueryService.method.describeTable,
    summary === undefined ? skipToken : { table: contract.table },
  );
  const live = described.data?.columns;
  const liveType = (name: string) => live?.find((c) => c.name === name)?.type;
  const fields = fieldsOf(contract.payload);
  const expected = expectedColumns(contract);
  const extra = live?.filter((c) => !expected.some((e) => e.name === c.name)) ?? [];
  return (
    <article className="schema-detail" aria-labelledby="contract-title">
      <h2 id="contract-title" className="mono">
        {contract.eventType}
      </h2>
      <dl className="schema-facts">
        <div>
          <dt>Schema version</dt>
          <dd className="mono">{contract.schemaVersion}</dd>
        </div>
        <div>
          <dt>Payload type</dt>
          <dd className="mono">{contract.payload.typeName}</dd>
        </div>
        <div>
          <dt>Lake table</dt>
          <dd className="mono">{contract.table}</dd>
        </div>
        <div>
          <dt>In the lake</dt>
          <dd data-testid="table-size">
            {summary !== undefined
              ? `${plural(summary.rows, "row")}, ${plural(summary.files, "file")}, ${formatBytes(summary.bytes)}`
              : tablesLoading
                ? "reading the lake…"
                : tablesError !== undefined
                  ? `unknown: ${describeError(tablesError).title.toLowerCase()}`
                  : "no table yet: the lake writer creates it with the first event"}
          </dd>
        </div>
      </dl>
      <p className="hint">
        MINOR versions ({contract.schemaVersion.split(".")[0]}.x) add fields and share this table; a new MAJOR
        version gets a table of its own.
      </p>
      <section aria-labelledby="payload-title">
        <h3 id="payload-title">Payload fields ({contract.payload.name})</h3>
        {summary !== undefined && described.isError ? (
          <p className="field-error" role="alert">
            Live columns unavailable: {describeError(described.error).detail}
          </p>
        ) : null}
        <table className="list schema-fields" aria-label={`Fields of ${contract.payload.name}`}>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Field</th>
              <th scope="col">Protobuf type</th>
              <th scope="col">Lake column</th>
              <th scope="col">Column type</th>
              <th scope="col">Live</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => {
              const actual = liveType(f.column);
              return (
                <tr key={f.number} data-testid="payload-field">
                  <td className="mono">{f.number}</td>
                  <td className="mono">{f.name}</td>
                  <td className="mono">
                    {f.protoType}
                    {f.presence === "" ? null : <span className="schema-presence"> ({f.presence})</span>}
                  </td>
                  <td className="mono">{f.column}</td>
                  <td className="mono">{f.columnType}</td>
                  <td>
                    <LiveCell expectedType={f.columnType} actual={actual} known={live !== undefined} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {extra.length === 0 ? null : (
          <p className="hint" data-testid="extra-columns">
            Columns in the lake the contract does not name (a newer writer, or a transform):{" "}
            {extra.map((c) => `${c.name} ${c.type}`).join(", ")}
          </p>
        )}
      </section>
      {nestedTypesOf(contract.payload).map((t) => (
        <NestedType key={t.typeName} type={t} />
      ))}
      <details className="schema-envelope">
        <summary>Envelope columns (every event table starts with them; {ENVELOPE.typeName})</summary>
        <table className="list" aria-label="Envelope columns">
          <thead>
            <tr>
              <th scope="col">Lake column</th>
              <th scope="col">Type</th>
              <th scope="col">From</th>
              <th scope="col">Live</th>
            </tr>
          </thead>
          <tbody>
            {ENVELOPE_COLUMNS.map((c) => (
              <tr key={c.name}>
                <td className="mono">{c.name}</td>
                <td className="mono">{c.type}</td>
                <td className="mono">{c.from}</td>
                <td>
                  <LiveCell expectedType={c.type} actual={liveType(c.name)} known={live !== undefined} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      {summary === undefined ? null : (
        <QueryView query={described} loadingLabel="Reading the table's columns…">
          {(data) =>
            data.partitioning.length === 0 ? null : (
              <p className="hint">Partitioned by {data.partitioning.join(", ")}.</p>
            )
          }
        </QueryView>
      )}
    </article>
  );
}

/** Whether the lake has the column, with the type the contract gives it. */
function LiveCell({
  expectedType,
  actual,
  known,
}: {
  expectedType: string;
  actual: string | undefined;
  known: boolean;
}) {
  if (!known) return <span className="hint">—</span>;
  if (actual === undefined) return <span className="badge badge-warn">missing</span>;
  if (!sameColumnType(expectedType, actual))
    return (
      <span className="badge badge-warn" title={`the lake has ${actual}`}>
        {actual}
      </span>
    );
  return <span className="badge badge-ok">{actual}</span>;
}

/** A message or enum the payload refers to: its fields, or its values. */
function NestedType({ type }: { type: DescEnum | DescMessage }) {
  if (type.kind === "enum")
    return (
      <section className="schema-nested" aria-label={`Enum ${type.name}`}>
        <h3>
          Enum <span className="mono">{type.name}</span>
        </h3>
        <ul className="schema-enum">
          {type.values.map((v) => (
            <li key={v.number} className="mono">
              {v.name} = {v.number}
            </li>
          ))}
        </ul>
      </section>
    );
  return (
    <section className="schema-nested" aria-label={`Message ${type.name}`}>
      <h3>
        Message <span className="mono">{type.name}</span> <span className="hint">(stored as JSON)</span>
      </h3>
      <table className="list" aria-label={`Fields of ${type.name}`}>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Field</th>
            <th scope="col">Protobuf type</th>
            <th scope="col">JSON name</th>
          </tr>
        </thead>
        <tbody>
          {type.fields.map((f, i) => {
            const info = fieldsOf(type)[i];
            return (
              <tr key={f.number}>
                <td className="mono">{f.number}</td>
                <td className="mono">{f.name}</td>
                <td className="mono">
                  {info?.protoType}
                  {info === undefined || info.presence === "" ? null : (
                    <span className="schema-presence"> ({info.presence})</span>
                  )}
                </td>
                <td className="mono">{f.jsonName}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
