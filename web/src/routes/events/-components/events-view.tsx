import type { JsonValue } from "@bufbuild/protobuf";
import { skipToken, useQuery } from "@connectrpc/connect-query";
import { AggregateFunction, type At, type EventFilter, QueryService } from "@langtian/proto";
import type { ColumnDef } from "@tanstack/react-table";
import { useMemo, useRef } from "react";
import { formatCount, formatTime } from "../../../ui/format.ts";
import { EmptyState, ErrorState, QueryView } from "../../../ui/query-state.tsx";
import { useFillHeight } from "../../../ui/use-fill-height.ts";
import { VirtualTable } from "../../../ui/virtual-table.tsx";
import { ColumnChooser } from "./column-chooser.tsx";
import { cellJson, cellText, defaultColumns, isTimestampType } from "./event-cells.ts";
import { atOf, describeFilters, type EventsSearch } from "./events-search.ts";
import { ExportPanel } from "./export-panel.tsx";
import { useBrowsePages } from "./use-browse-pages.ts";

type EventRow = Record<string, JsonValue>;

/**
 * One view of the lake browser: the grid of the events a filter selects (keyset pages loaded
 * as the grid nears its end), how many match, the column chooser and the export. Keyed by the
 * view, so a new filter or snapshot starts over from its first page.
 */
export function EventsView({
  search,
  filter,
  at,
  activeEventId,
  onOpen,
  onColumns,
  toolbar,
}: {
  search: EventsSearch;
  filter: EventFilter;
  at: At | undefined;
  activeEventId: string | undefined;
  onOpen: (eventId: string) => void;
  onColumns: (cols: string[] | undefined) => void;
  /** Rendered before the view's own controls (the snapshot picker), given the pinned snapshot. */
  toolbar: (pinned: bigint | undefined) => React.ReactNode;
}) {
  const pages = useBrowsePages(filter, at, search.order !== "oldest");
  const first = pages.first.data;
  const pinned = first?.snapshotId;
  // Counted at the snapshot the pages read, so "of N" agrees with what scrolling reaches.
  const countAt = at ?? (pinned === undefined ? undefined : atOf(pinned));
  const count = useQuery(
    QueryService.method.aggregate,
    countAt === undefined
      ? skipToken
      : { filter, measures: [{ function: AggregateFunction.COUNT }], at: countAt },
    { retry: false },
  );
  const total = useMemo(() => {
    const cell = cellJson(count.data?.rows[0]?.cells[0]);
    if (typeof cell === "number" || (typeof cell === "string" && /^\d+$/.test(cell))) return BigInt(cell);
    return undefined;
  }, [count.data]);

  const names = useMemo(() => first?.columns.map((c) => c.name) ?? [], [first]);
  const types = useMemo(() => new Map(first?.columns.map((c) => [c.name, c.type]) ?? []), [first]);
  const visible = useMemo(() => {
    const chosen = search.cols?.filter((c) => names.includes(c)) ?? [];
    return chosen.length > 0 ? chosen : defaultColumns(names);
  }, [search.cols, names]);
  const columns = useMemo<ColumnDef<EventRow, unknown>[]>(
    () =>
      visible.map((name) => {
        const type = types.get(name) ?? "";
        const time = isTimestampType(type);
        return {
          id: name,
          header: name,
          accessorFn: (row: EventRow) => row[name],
          cell: (ctx) => {
            const value = ctx.getValue() as JsonValue;
            return time && typeof value === "string" ? formatTime(Date.parse(value)) : cellText(value);
          },
          size: name === "event_id" ? 3 : time ? 2 : 1,
          // A time is 23 characters ("2026-11-27 12:00:02.499"): 190 px keeps it whole.
          minSize: name === "event_id" ? 140 : time ? 190 : 90,
        };
      }),
    [visible, types],
  );

  const gridBox = useRef<HTMLDivElement>(null);
  const heightPx = useFillHeight(gridBox);
  const filters = describeFilters(search);
  const snapshotWords = at === undefined ? "" : ` at snapshot #${String(search.snapshot)}`;

  return (
    <>
      <div className="events-bar">
        {toolbar(pinned)}
        {at === undefined ? (
          <button
            type="button"
            onClick={() => void pages.first.refetch()}
            disabled={pages.first.isFetching}
            title="Read the lake's latest snapshot again"
          >
            {pages.first.isFetching && first !== undefined ? "Refreshing…" : "Refresh"}
          </button>
        ) : null}
        {names.length === 0 ? null : (
          <ColumnChooser
            columns={names}
            visible={visible}
            onChange={onColumns}
            onReset={() => onColumns(undefined)}
          />
        )}
        <ExportPanel filter={filter} at={countAt} total={total} />
      </div>
      <QueryView
        query={pages.first}
        loadingLabel="Loading events…"
        isEmpty={(d) => d.rows.length === 0}
        empty={
          <EmptyState title={`No events match${snapshotWords}`}>
            {filters.length === 0 ? (
              <>
                Table <span className="mono">{filter.table}</span> holds no events
                {at === undefined ? " yet" : " in this snapshot"}.
              </>
            ) : (
              <>
                Filters: <span data-testid="empty-filters">{filters.join(", ")}</span>. Clear or widen them.
              </>
            )}
          </EmptyState>
        }
      >
        {() => (
          <>
            <p className="events-status" role="status" data-testid="events-status">
              {formatCount(pages.rows.length)} {pages.hasMore ? "loaded" : "events"}
              {total === undefined ? "" : ` of ${formatCount(total)} matching`}
              {pinned === undefined
                ? ""
                : ` · snapshot #${String(pinned)}${at === undefined ? "" : " (time travel)"}`}
              {filters.length === 0 ? "" : ` · ${filters.join(", ")}`}
              {pages.loadingMore ? " · loading more…" : ""}
            </p>
            <div className="events-grid" ref={gridBox}>
              <VirtualTable<EventRow>
                rows={pages.rows}
                columns={columns}
                label={`Events of ${filter.table}`}
                getRowId={(row, i) => (typeof row.event_id === "string" ? row.event_id : `row-${i}`)}
                onOpen={(row) => {
                  if (typeof row.event_id === "string") onOpen(row.event_id);
                }}
                {...(activeEventId === undefined ? {} : { activeRowId: activeEventId })}
                onNearEnd={pages.loadMore}
                heightPx={heightPx}
                scrollTestId="events-grid"
              />
            </div>
            {pages.moreError === undefined ? null : (
              <ErrorState error={pages.moreError} retry={pages.retryMore} />
            )}
          </>
        )}
      </QueryView>
    </>
  );
}
