import { type FormEvent, useId, useState } from "react";
import {
  type EventsSearch,
  FILTER_PARAMS,
  fromLocalInput,
  Order,
  parseWhere,
  toLocalInput,
} from "./events-search.ts";

interface FieldFilter {
  readonly key: number;
  column: string;
  value: string;
}

/**
 * The lake browser's filters: table, time range, type, source, key, id and payload fields.
 * Edited locally and applied together (Enter or Apply), so typing does not query the lake on
 * every key; the applied filters live in the URL.
 */
export function EventFilters({
  search,
  tables,
  table,
  columns,
  onApply,
}: {
  search: EventsSearch;
  /** Event tables to choose from. */
  tables: readonly string[];
  /** The table browsed. */
  table: string;
  /** Columns of the table, suggested for field filters. */
  columns: readonly string[];
  onApply: (next: EventsSearch) => void;
}) {
  const id = useId();
  const [draft, setDraft] = useState(() => ({
    table,
    from: toLocalInput(search.from),
    to: toLocalInput(search.to),
    type: search.type ?? "",
    source: search.source ?? "",
    key: search.key ?? "",
    id: search.id ?? "",
    order: search.order ?? Order.newest,
  }));
  const [nextKey, setNextKey] = useState(0);
  const [fields, setFields] = useState<FieldFilter[]>(() =>
    (search.where ?? []).flatMap((w, i) => {
      const parsed = parseWhere(w);
      return parsed === undefined ? [] : [{ key: -1 - i, ...parsed }];
    }),
  );
  const set = (name: keyof typeof draft) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [name]: e.target.value }));
  const text = (value: string) => (value.trim() === "" ? undefined : value.trim());

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const where = fields
      .filter((f) => f.column.trim() !== "")
      .map((f) => `${f.column.trim()}=${f.value.trim()}`);
    const next: { -readonly [K in keyof EventsSearch]: EventsSearch[K] } = {};
    // A new table starts from its own default columns; the snapshot is kept (time travel goes on).
    if (draft.table !== table) next.table = draft.table;
    else if (search.table !== undefined) next.table = search.table;
    if (draft.table === table && search.cols !== undefined) next.cols = search.cols;
    if (search.snapshot !== undefined) next.snapshot = search.snapshot;
    const from = fromLocalInput(draft.from);
    if (from !== undefined) next.from = from;
    const to = fromLocalInput(draft.to);
    if (to !== undefined) next.to = to;
    const values = {
      type: text(draft.type),
      source: text(draft.source),
      key: text(draft.key),
      id: text(draft.id),
    };
    for (const [k, v] of Object.entries(values)) if (v !== undefined) next[k as "type"] = v;
    if (where.length > 0) next.where = where;
    if (draft.order === Order.oldest) next.order = Order.oldest;
    onApply(next);
  };
  const clear = () => {
    const next: { -readonly [K in keyof EventsSearch]: EventsSearch[K] } = {};
    for (const k of ["table", "snapshot", "order", "cols"] as const)
      if (search[k] !== undefined) next[k] = search[k] as never;
    onApply(next);
  };
  const active = FILTER_PARAMS.some((p) => search[p] !== undefined);

  return (
    <form className="events-filters toolbar" aria-label="Event filters" onSubmit={apply}>
      <label>
        Table
        <select value={draft.table} onChange={set("table")}>
          {tables.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        From (local time)
        <input type="datetime-local" step={1} value={draft.from} onChange={set("from")} />
      </label>
      <label>
        To (local time)
        <input type="datetime-local" step={1} value={draft.to} onChange={set("to")} />
      </label>
      {/* The view's order and the actions first, so they stay on the first line at 1366 px; the
          text filters and field filters follow (a second line there). */}
      <label>
        Order
        <select value={draft.order} onChange={set("order")}>
          <option value={Order.newest}>Newest first</option>
          <option value={Order.oldest}>Oldest first</option>
        </select>
      </label>
      <button
        type="button"
        onClick={() => {
          setFields((all) => [...all, { key: nextKey, column: "", value: "" }]);
          setNextKey((k) => k + 1);
        }}
      >
        + Field filter
      </button>
      <button type="submit" className="primary">
        Apply
      </button>
      <button type="button" onClick={clear} disabled={!active}>
        Clear filters
      </button>
      <label>
        Type
        <input value={draft.type} onChange={set("type")} placeholder="any" size={8} />
      </label>
      <label>
        Source
        <input value={draft.source} onChange={set("source")} placeholder="any" size={7} />
      </label>
      <label>
        Key
        <input value={draft.key} onChange={set("key")} placeholder="any" size={7} />
      </label>
      <label>
        Event id
        <input value={draft.id} onChange={set("id")} placeholder="any" size={9} className="mono" />
      </label>
      <datalist id={`${id}-columns`}>
        {columns.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      {fields.map((f, i) => (
        <fieldset key={f.key} className="events-field-filter">
          <legend className="visually-hidden">Field filter {i + 1}</legend>
          <label>
            Field
            <input
              list={`${id}-columns`}
              value={f.column}
              size={12}
              onChange={(e) =>
                setFields((all) => all.map((x) => (x.key === f.key ? { ...x, column: e.target.value } : x)))
              }
            />
          </label>
          <label>
            equals
            <input
              value={f.value}
              size={10}
              onChange={(e) =>
                setFields((all) => all.map((x) => (x.key === f.key ? { ...x, value: e.target.value } : x)))
              }
            />
          </label>
          <button
            type="button"
            aria-label={`Remove field filter ${i + 1}`}
            onClick={() => setFields((all) => all.filter((x) => x.key !== f.key))}
          >
            ×
          </button>
        </fieldset>
      ))}
    </form>
  );
}
