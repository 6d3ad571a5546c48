import { useQuery } from "@connectrpc/connect-query";
import { type ListTablesResponse, QueryService } from "@langtian/proto";
import { createFileRoute, Outlet, useNavigate, useParams } from "@tanstack/react-router";
import { useMemo } from "react";
import { Page } from "../../ui/page.tsx";
import { EmptyState, QueryView } from "../../ui/query-state.tsx";
import { EventFilters } from "./-components/event-filters.tsx";
import { atOf, type EventsSearch, eventFilterOf, validateEventsSearch } from "./-components/events-search.ts";
import { EventsView } from "./-components/events-view.tsx";
import { SnapshotPicker } from "./-components/snapshot-picker.tsx";
import "../../ui/page-parts.css";
import "./-components/events.css";

/**
 * The lake browser: every filter, the snapshot and the columns are typed search params, so a
 * view is a link. `/events/$eventId` (a child route) opens an event's drawer over the list.
 */
export const Route = createFileRoute("/events")({
  validateSearch: validateEventsSearch,
  component: EventsPage,
});

function eventTables(data: ListTablesResponse): string[] {
  return data.tables.filter((t) => t.eventTable).map((t) => t.name);
}

function EventsPage() {
  const tables = useQuery(QueryService.method.listTables, {});
  return (
    <Page title="Events">
      <QueryView
        query={tables}
        loadingLabel="Loading the lake's tables…"
        isEmpty={(d) => eventTables(d).length === 0}
        empty={
          <EmptyState title="No event tables yet">The lake writer has not committed any events.</EmptyState>
        }
      >
        {(data) => <EventsBrowser tables={eventTables(data)} />}
      </QueryView>
      <Outlet />
    </Page>
  );
}

function EventsBrowser({ tables }: { tables: string[] }) {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const { eventId } = useParams({ strict: false });
  const table = search.table ?? tables[0] ?? "";
  const filter = useMemo(() => eventFilterOf(search, table), [search, table]);
  const at = useMemo(() => atOf(search.snapshot), [search.snapshot]);
  // The table's columns, suggested for field filters.
  const described = useQuery(
    QueryService.method.describeTable,
    { table, ...(at === undefined ? {} : { at }) },
    { enabled: table !== "", retry: false },
  );
  const columnNames = useMemo(() => described.data?.columns.map((c) => c.name) ?? [], [described.data]);
  // Replacing the view keeps the open event (the drawer stays over the new list).
  const go = (next: EventsSearch) => void navigate({ to: ".", search: next });
  const { cols: _cols, ...view } = search;
  const viewKey = JSON.stringify({ ...view, table });
  return (
    <>
      <EventFilters
        key={`filters:${viewKey}`}
        search={search}
        tables={tables.includes(table) ? tables : [table, ...tables]}
        table={table}
        columns={columnNames}
        onApply={go}
      />
      <EventsView
        key={`view:${viewKey}`}
        search={search}
        filter={filter}
        at={at}
        activeEventId={eventId}
        onOpen={(id) => void navigate({ to: "/events/$eventId", params: { eventId: id }, search: (s) => s })}
        onColumns={(cols) => go({ ...withoutCols(search), ...(cols === undefined ? {} : { cols }) })}
        toolbar={(pinned) => (
          <SnapshotPicker
            snapshot={search.snapshot}
            pinned={pinned}
            onChange={(snapshot) => {
              const { snapshot: _s, ...rest } = search;
              go(snapshot === undefined ? rest : { ...rest, snapshot });
            }}
          />
        )}
      />
    </>
  );
}

function withoutCols(search: EventsSearch): EventsSearch {
  const { cols: _cols, ...rest } = search;
  return rest;
}
