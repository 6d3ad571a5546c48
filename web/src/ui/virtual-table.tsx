import {
  type ColumnDef,
  getCoreRowModel,
  type Row,
  useReactTable,
  type VisibilityState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { type KeyboardEvent, memo, type ReactNode, useCallback, useEffect, useRef, useState } from "react";

/** Height of one row in px: fixed, so the virtualizer never measures (smooth scrolling at 100k rows). */
export const ROW_HEIGHT_PX = 30;

/**
 * A grid that renders only the rows in view (TanStack Table for columns, TanStack Virtual for
 * rows), for results of any length. Keyboard: Up/Down/PageUp/PageDown/Home/End move the active
 * row, Enter opens it. `onNearEnd` fires when the view comes within a screen of the last row,
 * for keyset paging.
 *
 * ARIA grid roles on divs, not a <table>: rows are absolutely positioned (a table row cannot be),
 * and the keyboard reaches them through aria-activedescendant on the one focusable grid (so
 * biome.json turns the semantic-element rules off for this file).
 */
export function VirtualTable<T>({
  rows,
  columns,
  label,
  columnVisibility,
  getRowId,
  onOpen,
  activeRowId,
  onNearEnd,
  heightPx = 520,
  scrollTestId,
}: {
  rows: readonly T[];
  columns: ColumnDef<T, unknown>[];
  /** What the grid shows, for screen readers. */
  label: string;
  columnVisibility?: VisibilityState;
  getRowId?: (row: T, index: number) => string;
  onOpen?: (row: T) => void;
  /** The row shown as selected (e.g. the event open in a drawer). */
  activeRowId?: string;
  onNearEnd?: () => void;
  heightPx?: number;
  /** `data-testid` of the scrolling element, for tests and benchmarks that scroll the grid. */
  scrollTestId?: string;
}) {
  const table = useReactTable({
    data: rows as T[],
    columns,
    getCoreRowModel: getCoreRowModel(),
    ...(getRowId === undefined ? {} : { getRowId }),
    state: { columnVisibility: columnVisibility ?? {} },
  });
  const tableRows = table.getRowModel().rows;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: tableRows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    // A few rows beyond the view: fast scrolling brings all-new rows every frame, so each
    // overscanned row is work on every frame; memoized rows make more unnecessary when slow.
    overscan: 4,
    // The sticky header row sits in the scroll box above the rows.
    scrollMargin: ROW_HEIGHT_PX,
  });
  const [focused, setFocused] = useState(0);
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  const screenRows = Math.max(1, Math.floor(heightPx / ROW_HEIGHT_PX));

  useEffect(() => {
    if (onNearEnd !== undefined && tableRows.length > 0 && lastIndex >= tableRows.length - screenRows)
      onNearEnd();
  }, [lastIndex, tableRows.length, onNearEnd, screenRows]);

  const firstShown = items.find((i) => i.start - ROW_HEIGHT_PX >= (scrollRef.current?.scrollTop ?? 0))?.index;
  const shown = (index: number) => items.some((i) => i.index === index);
  // After scrolling with the mouse, the keyboard goes on from the rows in view, not from far away.
  const from = shown(focused) ? focused : (firstShown ?? 0);
  const move = (index: number) => {
    const next = Math.max(0, Math.min(tableRows.length - 1, index));
    setFocused(next);
    virtualizer.scrollToIndex(next, { align: "auto" });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    switch (e.key) {
      case "ArrowDown":
        move(from + 1);
        break;
      case "ArrowUp":
        move(from - 1);
        break;
      case "PageDown":
        move(from + screenRows);
        break;
      case "PageUp":
        move(from - screenRows);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(tableRows.length - 1);
        break;
      case "Enter": {
        const row = tableRows[from];
        if (row !== undefined) onOpen?.(row.original);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };
  // Stable across renders, so rows already on screen are not rendered again while scrolling.
  const onOpenRef = useRef(onOpen);
  onOpenRef.current = onOpen;
  const activate = useCallback((index: number, row: T) => {
    setFocused(index);
    onOpenRef.current?.(row);
  }, []);
  const headers = table.getHeaderGroups()[0]?.headers ?? [];
  const template = headers
    .map((h) => `minmax(${h.column.columnDef.minSize ?? 80}px, ${h.getSize()}fr)`)
    .join(" ");
  const activeDescendant =
    tableRows[focused] === undefined || !shown(focused) ? undefined : `row-${tableRows[focused]?.id}`;
  // Wide tables scroll sideways: header and rows share one width, at least the columns' minimums.
  const minWidthPx = headers.reduce((sum, h) => sum + (h.column.columnDef.minSize ?? 80), 0);

  return (
    <div
      className="vtable"
      role="grid"
      aria-label={label}
      aria-rowcount={tableRows.length + 1}
      tabIndex={0}
      onKeyDown={onKeyDown}
      aria-activedescendant={activeDescendant}
    >
      <div ref={scrollRef} className="vtable-body" style={{ height: heightPx }} data-testid={scrollTestId}>
        <div
          className="vtable-head"
          role="row"
          aria-rowindex={1}
          style={{ gridTemplateColumns: template, minWidth: minWidthPx }}
        >
          {headers.map((header) => {
            const name = header.isPlaceholder ? "" : String(header.column.columnDef.header ?? header.id);
            return (
              <div key={header.id} role="columnheader" className="vtable-cell" title={name}>
                {name}
              </div>
            );
          })}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative", minWidth: minWidthPx }}>
          {items.map((item) => {
            const row = tableRows[item.index] as Row<T>;
            return (
              <VirtualRow
                key={row.id}
                row={row}
                index={item.index}
                start={item.start - ROW_HEIGHT_PX}
                focused={item.index === focused}
                active={row.id === activeRowId}
                template={template}
                columns={columns}
                onActivate={activate}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

/**
 * One row, rendered again only when something it shows changed: scrolling moves most rows by
 * their `start` alone, and a frame then renders just the rows that came into view.
 */
const VirtualRow = memo(function VirtualRow<T>({
  row,
  index,
  start,
  focused,
  active,
  template,
  onActivate,
}: {
  row: Row<T>;
  index: number;
  start: number;
  focused: boolean;
  active: boolean;
  template: string;
  /** Compared by reference: new column definitions render the row again. */
  columns: unknown;
  onActivate: (index: number, row: T) => void;
}) {
  return (
    <div
      id={`row-${row.id}`}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={active}
      className={`vtable-row${focused ? " focused" : ""}${active ? " active" : ""}`}
      style={{ transform: `translateY(${start}px)`, gridTemplateColumns: template }}
      onClick={() => onActivate(index, row.original)}
    >
      {row.getVisibleCells().map((cell) => {
        const render = cell.column.columnDef.cell;
        const value = typeof render === "function" ? render(cell.getContext()) : cell.getValue();
        // The whole text on hover, for values the column's width cuts off.
        const raw = cell.getValue();
        const title = typeof raw === "string" || typeof raw === "number" ? String(raw) : undefined;
        return (
          <div key={cell.id} role="gridcell" className="vtable-cell" title={title}>
            {value as ReactNode}
          </div>
        );
      })}
    </div>
  );
}) as <T>(props: {
  row: Row<T>;
  index: number;
  start: number;
  focused: boolean;
  active: boolean;
  template: string;
  columns: unknown;
  onActivate: (index: number, row: T) => void;
}) => ReactNode;
