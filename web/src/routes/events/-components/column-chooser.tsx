import { useEffect, useId, useRef, useState } from "react";

/**
 * Which columns the grid shows, in table order; the choice goes into the URL (`cols`). A
 * disclosure of checkboxes: keyboard reachable without any script of its own; Escape and a click
 * outside close it, as a menu does (focus goes back to its button on Escape).
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
  const box = useRef<HTMLDetailsElement>(null);
  const [open, setOpen] = useState(false);
  const close = () => {
    if (box.current !== null) box.current.open = false;
  };
  useEffect(() => {
    if (!open) return;
    const onPointerDown = (e: PointerEvent) => {
      if (e.target instanceof Node && box.current?.contains(e.target) === false) box.current.open = false;
    };
    document.addEventListener("pointerdown", onPointerDown);
    return () => document.removeEventListener("pointerdown", onPointerDown);
  }, [open]);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key !== "Escape" || !open) return;
    // Only the list closes (an open event drawer stays): the key goes no further.
    e.preventDefault();
    e.stopPropagation();
    close();
    box.current?.querySelector("summary")?.focus();
  };
  const toggle = (column: string, on: boolean) => {
    // The chosen order is kept; a column shown again goes last.
    onChange(on ? [...visible, column] : visible.filter((c) => c !== column));
  };
  return (
    <details
      className="column-chooser"
      ref={box}
      onToggle={(e) => setOpen(e.currentTarget.open)}
      onKeyDown={onKeyDown}
    >
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
