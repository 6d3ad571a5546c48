import { type ConnectorConfig, livePipelineSettings } from "./connector-config.ts";

/** One difference between two configurations: a field, its value before and after (JSON; empty when absent). */
export interface ConnectorConfigChange {
  /** `topics.rules[2]`, `topics.defaultTopic`, `pipeline.maxBatchRecords`. */
  readonly path: string;
  readonly from: string;
  readonly to: string;
}

function flatten(config: ConnectorConfig | undefined): Map<string, string> {
  const fields = new Map<string, string>();
  if (config === undefined) return fields;
  // Rules by position: the first match wins, so moving a rule changes the routing.
  for (const [i, rule] of config.topics.rules.entries())
    fields.set(`topics.rules[${i}]`, JSON.stringify(rule));
  fields.set("topics.defaultTopic", JSON.stringify(config.topics.defaultTopic));
  fields.set("topics.deadLetterTopic", JSON.stringify(config.topics.deadLetterTopic));
  for (const name of Object.keys(livePipelineSettings) as (keyof typeof livePipelineSettings)[]) {
    const v = config.pipeline[name];
    if (v !== undefined) fields.set(`pipeline.${name}`, JSON.stringify(v));
  }
  return fields;
}

/**
 * The fields that differ between two configurations (undefined: no configuration, e.g.
 * before the first revision or after a delete), in field order: rules by position, then the
 * topics, then the pipeline settings. Empty when they route and tune alike.
 */
export function diffConnectorConfigs(
  from: ConnectorConfig | undefined,
  to: ConnectorConfig | undefined,
): ConnectorConfigChange[] {
  const a = flatten(from);
  const b = flatten(to);
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  paths.sort((x, y) => rank(x) - rank(y));
  const changes: ConnectorConfigChange[] = [];
  for (const path of paths) {
    const before = a.get(path) ?? "";
    const after = b.get(path) ?? "";
    if (before !== after) changes.push({ path, from: before, to: after });
  }
  return changes;
}

const fieldOrder = [
  "topics.defaultTopic",
  "topics.deadLetterTopic",
  ...Object.keys(livePipelineSettings).map((name) => `pipeline.${name}`),
];

/** Sort rank of a path: rules by position first, then the topics, then the settings as documented. */
function rank(path: string): number {
  const m = /^topics\.rules\[(\d+)\]$/.exec(path);
  return m ? Number(m[1]) : 1e9 + fieldOrder.indexOf(path);
}
