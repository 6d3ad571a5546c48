import { useQuery } from "@connectrpc/connect-query";
import { eventContractOf, eventContracts } from "@langtian/contracts";
import { QueryService } from "@langtian/proto";
import { createFileRoute, Link } from "@tanstack/react-router";
import { Page } from "../../ui/page.tsx";
import { plural } from "../../ui/plural.ts";
import { describeError } from "../../ui/query-state.tsx";
import { ContractDetail } from "./-components/contract-detail.tsx";
import { TableColumns } from "./-components/table-columns.tsx";
import "../../ui/page-parts.css";
import "./-components/schemas.css";

/** The schemas page's view: an event type of the contracts, or another lake table. */
export interface SchemasSearch {
  /** An event type, e.g. "device.telemetry"; unset = the first. */
  readonly type?: string;
  /** A lake table no contract names (shown instead of an event type). */
  readonly table?: string;
}

export const Route = createFileRoute("/schemas/")({
  validateSearch: (raw: Record<string, unknown>): SchemasSearch => {
    const out: { -readonly [K in keyof SchemasSearch]: SchemasSearch[K] } = {};
    if (typeof raw.type === "string" && eventContractOf(raw.type) !== undefined) out.type = raw.type;
    if (typeof raw.table === "string" && /^[A-Za-z0-9_]+$/.test(raw.table)) out.table = raw.table;
    return out;
  },
  component: SchemasPage,
});

/**
 * The event contracts: each event type with its schema version and payload fields (read from
 * the generated descriptors), the lake table its events land in and that table's live columns.
 */
function SchemasPage() {
  const search = Route.useSearch();
  const tables = useQuery(QueryService.method.listTables, {});
  const contract =
    search.table === undefined
      ? (eventContracts.find((c) => c.eventType === search.type) ?? eventContracts[0])
      : undefined;
  const contractTables = new Set(eventContracts.map((c) => c.table));
  const otherTables = tables.data?.tables.filter((t) => !contractTables.has(t.name)) ?? [];
  const summaryOf = (table: string) => tables.data?.tables.find((t) => t.name === table);
  return (
    <Page title="Schemas">
      <p className="hint">
        Event types of the contracts (@langtian/contracts), their payload fields, and the lake table each
        lands in with its live columns.
      </p>
      {tables.isError ? (
        <div className="stale-banner" role="status">
          The lake's tables could not be read ({describeError(tables.error).title.toLowerCase()}): live
          columns are not shown.
        </div>
      ) : null}
      <div className="schemas-layout">
        <nav className="schemas-nav" aria-label="Event types and tables">
          <h2>Event types</h2>
          <ul>
            {eventContracts.map((c) => {
              const summary = summaryOf(c.table);
              return (
                <li key={c.eventType}>
                  <Link
                    to="/schemas"
                    search={{ type: c.eventType }}
                    aria-current={contract?.eventType === c.eventType ? "page" : undefined}
                  >
                    <span className="mono">{c.eventType}</span>
                    <small>
                      v{c.schemaVersion} → {c.table}
                      {summary === undefined ? "" : ` · ${plural(summary.rows, "row")}`}
                    </small>
                  </Link>
                </li>
              );
            })}
          </ul>
          {otherTables.length === 0 ? null : (
            <>
              <h2>Other lake tables</h2>
              <ul>
                {otherTables.map((t) => (
                  <li key={t.name}>
                    <Link
                      to="/schemas"
                      search={{ table: t.name }}
                      aria-current={search.table === t.name ? "page" : undefined}
                    >
                      <span className="mono">{t.name}</span>
                      <small>{plural(t.rows, "row")}</small>
                    </Link>
                  </li>
                ))}
              </ul>
            </>
          )}
          {tables.isPending ? (
            <p className="hint" role="status">
              Reading the lake's tables…
            </p>
          ) : null}
        </nav>
        {contract === undefined ? (
          <TableColumns table={search.table ?? ""} />
        ) : (
          <ContractDetail
            key={contract.eventType}
            contract={contract}
            summary={summaryOf(contract.table)}
            tablesError={tables.isError ? tables.error : undefined}
            tablesLoading={tables.isPending}
          />
        )}
      </div>
    </Page>
  );
}
