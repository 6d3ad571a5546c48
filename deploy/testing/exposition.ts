/**
 * What a Prometheus text exposition offers and what a PromQL expression asks for, so the deploy
 * tests can check that every metric an alert rule or a dashboard panel reads is one the
 * services really export.
 */

/** Metric families of an exposition (`# TYPE <name> <type>` lines), by name. */
export function metricFamilies(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m?.[1] && m[2]) families.set(m[1], m[2]);
  }
  return families;
}

/** Every series name the families produce: a histogram's `_bucket`, `_sum` and `_count` too. */
export function seriesNames(families: ReadonlyMap<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of families) {
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    else if (type === "summary") for (const suffix of ["", "_sum", "_count"]) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

/** What an expression reads from our services: plain metric names and `__name__` regexes. */
export interface MetricReferences {
  readonly names: Set<string>;
  readonly patterns: RegExp[];
}

/** The `langtian_*` metric names and `__name__=~"..."` selectors an expression (or a rule file) uses. */
export function referencedMetrics(expr: string): MetricReferences {
  const names = new Set<string>();
  const patterns: RegExp[] = [];
  for (const m of expr.matchAll(/__name__\s*=~\s*"([^"]+)"/g)) {
    if (m[1]) patterns.push(new RegExp(`^(?:${m[1]})$`));
  }
  // A name starts where no name character precedes it; selectors' regexes hold no full names.
  for (const m of expr
    .replaceAll(/__name__\s*=~\s*"[^"]+"/g, "")
    .matchAll(/(?<![\w:])(langtian_[a-z0-9_]+)/g)) {
    if (m[1]) names.add(m[1]);
  }
  return { names, patterns };
}

/** What of `refs` no series name satisfies: missing names, and patterns that match none. */
export function missingMetrics(refs: MetricReferences, available: ReadonlySet<string>): string[] {
  const missing = [...refs.names].filter((n) => !available.has(n));
  for (const pattern of refs.patterns) {
    if (![...available].some((n) => pattern.test(n))) missing.push(String(pattern));
  }
  return missing;
}
