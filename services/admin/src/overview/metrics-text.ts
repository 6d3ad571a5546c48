/**
 * Totals of every counter in a Prometheus text exposition, summed over labels, keyed by the
 * metric name without the service prefix (`langtian_<stage>_`) and the `_total` suffix.
 */
export function counterTotals(text: string): Map<string, number> {
  const totals = new Map<string, number>();
  const counters = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (type === "counter" && name !== undefined) counters.add(name);
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    const series = line.slice(0, space);
    const brace = series.indexOf("{");
    const name = brace < 0 ? series : series.slice(0, brace);
    if (!counters.has(name)) continue;
    const value = Number(line.slice(space + 1));
    if (!Number.isFinite(value)) continue;
    const key = shortName(name);
    totals.set(key, (totals.get(key) ?? 0) + value);
  }
  return totals;
}

/** `langtian_bridge_messages_acked_total` → `messages_acked`. */
function shortName(name: string): string {
  return name.replace(/^langtian_[a-z]+(?:_writer|_api)?_/, "").replace(/_total$/, "");
}

/** Whether a counter counts failures (shown as errors rather than rates). */
export function isErrorCounter(name: string): boolean {
  return /error|fail|refused|rejected|dead_letter|dropped|timeout|overflow|poison/.test(name);
}
