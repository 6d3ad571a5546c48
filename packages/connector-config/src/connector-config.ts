import {
  isValidSubjectPattern,
  isValidTopicName,
  parseTopicRules,
  subjectMatches,
  type TopicRule,
} from "./topic-router.ts";

/**
 * The pipeline settings a running bridge can change without a restart, with their lower
 * bounds. The bridge's own configuration uses the same bounds, so a value valid in the shared
 * configuration is valid in a bridge's file and the other way round.
 */
export const livePipelineSettings = {
  maxBatchRecords: { min: 1, description: "Most records in one Kafka produce request." },
  maxBatchBytes: { min: 1024, description: "Most bytes in one produce request." },
  maxRecordBytes: {
    min: 1024,
    description: "Larger records are poison (keep below the broker's message.max.bytes).",
  },
  produceTimeoutMs: {
    min: 100,
    description: "A produce not settled in this time counts as failed (naked), in ms.",
  },
  maxInFlight: {
    min: 1,
    description:
      "Safety valve: beyond this many held messages new ones are naked (keep above nats.maxAckPending).",
  },
  poisonMaxDeliveries: { min: 1, description: "Delivery on which a poison message is dead-lettered." },
  backoffInitialMs: { min: 0, description: "First nak delay / produce pause, in ms." },
  backoffMaxMs: { min: 0, description: "Largest nak delay / produce pause, in ms." },
} as const;

/** The name of one live pipeline setting. */
export type LivePipelineSetting = keyof typeof livePipelineSettings;

/** Live pipeline settings; a setting left out keeps each bridge's own configured value. */
export type LivePipelineValues = { readonly [K in LivePipelineSetting]?: number };

/**
 * The shared connector configuration, as stored (JSON) in the bucket: routing (the same
 * `subject-pattern=topic` rules as the bridge's `topics.rules`, first match wins), the default
 * and dead-letter topics, and the live pipeline settings.
 */
export interface ConnectorConfig {
  readonly topics: {
    readonly rules: readonly string[];
    readonly defaultTopic: string;
    readonly deadLetterTopic: string;
  };
  readonly pipeline: LivePipelineValues;
}

/** A checked value: the configuration and its parsed rules, or every problem found. */
export type ConnectorConfigCheck =
  | { readonly ok: true; readonly config: ConnectorConfig; readonly rules: readonly TopicRule[] }
  | { readonly ok: false; readonly problems: readonly string[] };

const settingNames = Object.keys(livePipelineSettings) as LivePipelineSetting[];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Checks a value (JSON text, or already parsed) against the schema and the bridge's own rules
 * (rule syntax, NATS subject patterns, Kafka topic names, setting bounds). Unknown fields are
 * problems, not ignored: a misspelt setting would otherwise silently keep its old value.
 * Lists every problem at once.
 */
export function checkConnectorConfig(value: unknown): ConnectorConfigCheck {
  let data = value;
  if (typeof value === "string") {
    try {
      data = JSON.parse(value);
    } catch (err) {
      return { ok: false, problems: [`not JSON: ${err instanceof Error ? err.message : String(err)}`] };
    }
  }
  if (!isObject(data)) return { ok: false, problems: ["the value must be a JSON object"] };
  const problems: string[] = [];
  for (const key of Object.keys(data))
    if (key !== "topics" && key !== "pipeline") problems.push(`unknown field "${key}"`);

  const topics = data.topics;
  const rules: TopicRule[] = [];
  const ruleTexts: string[] = [];
  let defaultTopic = "";
  let deadLetterTopic = "";
  if (!isObject(topics)) problems.push('"topics" must be an object');
  else {
    for (const key of Object.keys(topics))
      if (!["rules", "defaultTopic", "deadLetterTopic"].includes(key))
        problems.push(`unknown field "topics.${key}"`);
    if (!Array.isArray(topics.rules) || !topics.rules.every((r) => typeof r === "string"))
      problems.push('"topics.rules" must be a list of "subject-pattern=topic" strings');
    else {
      for (const [i, text] of (topics.rules as string[]).entries()) {
        // One rule per entry: a comma would smuggle a second rule past the index in problems.
        const parsed = parseTopicRules(text.includes(",") ? "" : text);
        if (text.includes(",") || parsed.rules.length !== 1)
          problems.push(
            `topics.rules[${i}]: ${parsed.problems[0] ?? `"${text}" is not one "subject-pattern=topic"`}`,
          );
        else {
          rules.push(...parsed.rules);
          ruleTexts.push(`${parsed.rules[0]?.subject}=${parsed.rules[0]?.topic}`);
        }
      }
    }
    for (const field of ["defaultTopic", "deadLetterTopic"] as const) {
      const topic = topics[field];
      if (typeof topic !== "string" || !isValidTopicName(topic))
        problems.push(
          `"topics.${field}" must be a Kafka topic name ([a-zA-Z0-9._-], ≤ 249), got ${JSON.stringify(topic)}`,
        );
      else if (field === "defaultTopic") defaultTopic = topic;
      else deadLetterTopic = topic;
    }
  }

  const pipeline: Partial<Record<LivePipelineSetting, number>> = {};
  if (data.pipeline !== undefined) {
    if (!isObject(data.pipeline)) problems.push('"pipeline" must be an object');
    else
      for (const [key, v] of Object.entries(data.pipeline)) {
        if (!settingNames.includes(key as LivePipelineSetting)) {
          problems.push(`unknown field "pipeline.${key}" (live settings: ${settingNames.join(", ")})`);
          continue;
        }
        const { min } = livePipelineSettings[key as LivePipelineSetting];
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min)
          problems.push(`"pipeline.${key}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
        else pipeline[key as LivePipelineSetting] = v;
      }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: { topics: { rules: ruleTexts, defaultTopic, deadLetterTopic }, pipeline },
    rules,
  };
}

/**
 * The stored form of a checked configuration: fixed field order, settings in their documented
 * order, two-space indentation. Storing one form keeps revisions and diffs free of noise.
 */
export function formatConnectorConfig(config: ConnectorConfig): string {
  const pipeline: Record<string, number> = {};
  for (const name of settingNames) {
    const v = config.pipeline[name];
    if (v !== undefined) pipeline[name] = v;
  }
  return `${JSON.stringify(
    {
      topics: {
        rules: config.topics.rules,
        defaultTopic: config.topics.defaultTopic,
        deadLetterTopic: config.topics.deadLetterTopic,
      },
      pipeline,
    },
    null,
    2,
  )}\n`;
}

/** Where one sample subject is routed by a configuration. */
export interface RoutedSample {
  readonly subject: string;
  readonly topic: string;
  /** The rule that matched, as `subject-pattern=topic`; empty when the default topic applies. */
  readonly rule: string;
  /** Set when the sample is not a concrete NATS subject (then topic and rule are empty). */
  readonly problem: string;
}

/**
 * Dry run of the routing: for each sample subject, the topic the bridge would write it to
 * with `rules` (first match wins) and `defaultTopic`.
 */
export function routeSamples(
  rules: readonly TopicRule[],
  defaultTopic: string,
  subjects: readonly string[],
): RoutedSample[] {
  return subjects.map((subject) => {
    if (!isValidSubjectPattern(subject) || /(^|\.)[*>](\.|$)/.test(subject))
      return { subject, topic: "", rule: "", problem: "not a concrete NATS subject (no wildcards)" };
    const rule = rules.find((r) => subjectMatches(r.subject, subject));
    return rule === undefined
      ? { subject, topic: defaultTopic, rule: "", problem: "" }
      : { subject, topic: rule.topic, rule: `${rule.subject}=${rule.topic}`, problem: "" };
  });
}
