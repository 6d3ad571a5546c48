/**
 * Readers of the files under deploy/prometheus and docs/OPERATIONS.md for the deploy tests.
 * The rule files are read line by line (their layout is ours and fixed): what the tests check is
 * coverage and cross-references, while promtool and Prometheus check that the YAML is valid.
 */

/** One alerting rule: its name and annotations (values unquoted). */
export interface AlertRule {
  readonly alert: string;
  readonly annotations: ReadonlyMap<string, string>;
}

const unquote = (value: string) => value.trim().replace(/^"(.*)"$/, "$1");
const indentOf = (line: string) => line.length - line.trimStart().length;

/** The alerting rules of a rule file, in file order. */
export function alertRules(text: string): AlertRule[] {
  const rules: { alert: string; annotations: Map<string, string> }[] = [];
  let annotationsIndent: number | undefined;
  for (const line of text.split("\n")) {
    const alert = /^\s*- alert:\s*(\S+)/.exec(line);
    if (alert?.[1]) {
      rules.push({ alert: alert[1], annotations: new Map() });
      annotationsIndent = undefined;
      continue;
    }
    if (/^\s*annotations:\s*$/.test(line)) {
      annotationsIndent = indentOf(line);
      continue;
    }
    if (annotationsIndent === undefined || line.trim() === "") continue;
    if (indentOf(line) <= annotationsIndent) {
      annotationsIndent = undefined;
      continue;
    }
    const entry = /^\s*([a-z_]+):\s*(.*)$/.exec(line);
    if (entry?.[1] !== undefined) rules.at(-1)?.annotations.set(entry[1], unquote(entry[2] ?? ""));
  }
  return rules;
}

/** One `alert_rule_test` entry of a promtool test file: which alert, and whether it expects any. */
export interface RuleTestCase {
  readonly alertname: string;
  readonly evalTime: string;
  readonly fires: boolean;
}

/** The `alert_rule_test` entries of a promtool unit test file. */
export function ruleTestCases(text: string): RuleTestCase[] {
  const cases: RuleTestCase[] = [];
  let current: { alertname: string; evalTime: string } | undefined;
  for (const line of text.split("\n")) {
    const name = /^\s*- alertname:\s*(\S+)/.exec(line);
    if (name?.[1]) {
      current = { alertname: name[1], evalTime: "" };
      continue;
    }
    const evalTime = /^\s*eval_time:\s*(\S+)/.exec(line);
    if (evalTime?.[1] && current) current.evalTime = evalTime[1];
    const expected = /^\s*exp_alerts:\s*(.*)$/.exec(line);
    if (expected && current) {
      // `exp_alerts: []` expects none; `exp_alerts:` followed by a list expects some.
      cases.push({ ...current, fires: (expected[1] ?? "").trim() !== "[]" });
      current = undefined;
    }
  }
  return cases;
}

/** The anchors of a Markdown file's headings, as GitHub makes them (`### Foo Bar` → `foo-bar`). */
export function operationsAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading?.[1]) continue;
    anchors.add(
      heading[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    );
  }
  return anchors;
}
