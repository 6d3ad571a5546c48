/**
 * Widths of a table's columns, in order, as its `<colgroup>`: CSS pixels, or undefined for a
 * column that takes what is left. Pair it with the `fixed-table` class (page-parts.css), so the
 * widths hold whatever the cells contain. The widths stay beside the header cells they size.
 */
export function ColumnWidths({ widths }: { readonly widths: readonly (number | undefined)[] }) {
  return (
    <colgroup>
      {widths.map((width, i) => (
        // Columns are positional: the index is the column.
        // biome-ignore lint/suspicious/noArrayIndexKey: a column's place is its identity
        <col key={i} style={width === undefined ? undefined : { width }} />
      ))}
    </colgroup>
  );
}
