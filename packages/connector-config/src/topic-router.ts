/** One routing rule: JetStream subjects matching `subject` (NATS wildcards `*` and `>`) go to `topic`. */
export interface TopicRule {
  readonly subject: string;
  readonly topic: string;
}

/** Routes subjects to Kafka topics: first matching rule wins, else the default topic. */
export interface TopicRouter {
  topicFor(subject: string): string;
}

/**
 * Tells whether a concrete NATS subject matches a pattern with NATS wildcards:
 * `*` matches exactly one token, `>` (last token only) matches one or more tokens.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === ">") return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (token !== "*" && token !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * Builds the subject → topic router. Results are memoised per subject because a stream
 * carries few distinct subjects but every message asks.
 */
export function createTopicRouter(rules: readonly TopicRule[], defaultTopic: string): TopicRouter {
  const cache = new Map<string, string>();
  return {
    topicFor(subject: string): string {
      let topic = cache.get(subject);
      if (topic === undefined) {
        topic = rules.find((rule) => subjectMatches(rule.subject, subject))?.topic ?? defaultTopic;
        // Bound the cache so a stream with unbounded subject cardinality cannot grow memory.
        if (cache.size > 10_000) cache.clear();
        cache.set(subject, topic);
      }
      return topic;
    },
  };
}

/**
 * Parses rules written as `pattern=topic` pairs separated by commas
 * (`devices.*.telemetry=telemetry,devices.>=devices`). Returns the problems found, not throws,
 * so config loading can list them all.
 */
export function parseTopicRules(text: string): { rules: TopicRule[]; problems: string[] } {
  const rules: TopicRule[] = [];
  const problems: string[] = [];
  for (const part of text.split(",")) {
    const item = part.trim();
    if (item === "") continue;
    const eq = item.lastIndexOf("=");
    const subject = eq > 0 ? item.slice(0, eq).trim() : "";
    const topic = eq > 0 ? item.slice(eq + 1).trim() : "";
    if (subject === "" || topic === "") {
      problems.push(`topic rule "${item}" is not "subject-pattern=topic"`);
    } else if (!isValidSubjectPattern(subject)) {
      problems.push(`topic rule "${item}": "${subject}" is not a valid NATS subject pattern`);
    } else if (!isValidTopicName(topic)) {
      problems.push(`topic rule "${item}": "${topic}" is not a valid Kafka topic name`);
    } else {
      rules.push({ subject, topic });
    }
  }
  return { rules, problems };
}

/** A NATS subject pattern: non-empty tokens, `>` only as the last token. */
export function isValidSubjectPattern(pattern: string): boolean {
  const tokens = pattern.split(".");
  return tokens.every(
    (t, i) =>
      t !== "" &&
      !/\s/.test(t) &&
      (t !== ">" || i === tokens.length - 1) &&
      (t.length === 1 || !/[*>]/.test(t)),
  );
}

/** Kafka's own topic-name rule: 1–249 of `[a-zA-Z0-9._-]`, not `.` or `..`. */
export function isValidTopicName(topic: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(topic) && topic !== "." && topic !== "..";
}
