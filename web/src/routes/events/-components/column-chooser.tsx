import { useId } from "react";

/**
 * Which columns the grid shows, in table order; the choice goes into the URL (`cols`). A
 * disclosure of checkboxes: keyboard reachable without any script of its own.
 */
export function ColumnChooser({
  columns,
  visible,
  onChange,
  onReset,
}: {
  /** Every column of the table, in table order. */
  columns: readonly string[];
  visible: readonly string[];
  onChange: (visible: string[]) => void;
  onReset: () => void;
}) {
  const id = useId();
  const toggle = (column: string, on: boolean) => {
    // The chosen order is kept; a column shown again goes last.
    onChange(on ? [...visible, column] : visible.filter((c) => c !== column));
  };
  return (
    <details className="column-chooser">
      <summary>
        Columns ({visible.length}/{columns.length})
      </summary>
      <fieldset className="column-chooser-list" aria-describedby={`${id}-hint`}>
        <legend id={`${id}-hint`}>Shown columns</legend>
        {columns.map((c) => (
          <label key={c}>
            <input
              type="checkbox"
              checked={visible.includes(c)}
              disabled={visible.length === 1 && visible.includes(c)}
              onChange={(e) => toggle(c, e.target.checked)}
            />{" "}
            <span className="mono">{c}</span>
          </label>
        ))}
        <button type="button" onClick={onReset}>
          Default columns
        </button>
      </fieldset>
    </details>
  );
}
