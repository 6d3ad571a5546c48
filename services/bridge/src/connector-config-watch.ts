import {
  type ConnectorConfigCheck,
  checkConnectorConfig,
  createTopicRouter,
  openConnectorConfigBucket,
  type TopicRule,
} from "@langtian/connector-config";
import { type MetricFactory, untilJetStreamAnswers } from "@langtian/service-kit";
import type { KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { BridgeConfig } from "./config.ts";
import type { PipelineSettings } from "./pipeline.ts";

/** The routing and pipeline settings in effect, and where they came from. */
export interface AppliedConnectorConfig {
  /** KV revision of the shared configuration applied; 0 when the bridge's own configuration applies. */
  readonly revision: number;
  readonly rules: readonly TopicRule[];
  readonly defaultTopic: string;
  readonly deadLetterTopic: string;
  /** Everything the pipeline takes live, router included. */
  readonly settings: Required<PipelineSettings>;
}

/**
 * The settings of a shared configuration value over the bridge's own: routing and topics from
 * the value, each pipeline setting from the value when it sets it, else from `base`. Without a
 * value (`check` undefined: the key is absent or deleted) the bridge's own configuration.
 */
export function appliedConnectorConfig(
  base: BridgeConfig,
  revision: number,
  check?: Extract<ConnectorConfigCheck, { ok: true }>,
): AppliedConnectorConfig {
  const p = { ...base.pipeline, ...(check?.config.pipeline ?? {}) };
  const rules = check?.rules ?? base.topicRules;
  const defaultTopic = check?.config.topics.defaultTopic ?? base.topics.defaultTopic;
  const deadLetterTopic = check?.config.topics.deadLetterTopic ?? base.topics.deadLetterTopic;
  return {
    revision: check === undefined ? 0 : revision,
    rules,
    defaultTopic,
    deadLetterTopic,
    settings: {
      router: createTopicRouter(rules, defaultTopic),
      deadLetterTopic,
      maxBatchRecords: p.maxBatchRecords,
      maxBatchBytes: p.maxBatchBytes,
      maxRecordBytes: p.maxRecordBytes,
      maxInFlight: p.maxInFlight,
      poisonMaxDeliveries: p.poisonMaxDeliveries,
      produceTimeoutMs: p.produceTimeoutMs,
      backoff: { initialMs: p.backoffInitialMs, maxMs: p.backoffMaxMs, jitter: 0.2 },
    },
  };
}

/** Minimal logger shape (pino-compatible). */
export interface WatchLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What {@link startConnectorConfigWatch} needs. */
export interface ConnectorConfigWatchOptions {
  readonly nc: NatsConnection;
  /** The bridge's own configuration: its `connectorConfig` section and the fallback values. */
  readonly config: BridgeConfig;
  readonly metrics: MetricFactory;
  readonly logger: WatchLogger;
  /** Called with every newly applied configuration (not with the initial one). */
  readonly onChange: (applied: AppliedConnectorConfig) => void;
  /** How long to wait for JetStream to answer (a cluster electing a leader), in ms; 0: fail at once. */
  readonly startupWaitMs?: number;
  /** True once the bridge is stopping: no more waiting. */
  readonly stopped?: () => boolean;
}

/** A running watch of the shared configuration. */
export interface ConnectorConfigWatch {
  /** The configuration in effect now. */
  current(): AppliedConnectorConfig;
  /** Stops watching. */
  stop(): void;
}

/**
 * Reads the shared configuration once (so the pipeline starts with it; the bridge's own when
 * the key is absent or its value invalid), then watches the key: each new valid value is
 * handed to `onChange`; an invalid one is logged, counted
 * (`connector_config_rejected_total`) and ignored, the running configuration stays.
 * @throws when the bucket cannot be opened or read (configured but NATS has no JetStream).
 */
export async function startConnectorConfigWatch(
  o: ConnectorConfigWatchOptions,
): Promise<ConnectorConfigWatch> {
  const { bucket, key, replicas } = o.config.connectorConfig;
  const applied = o.metrics.counter({
    name: "connector_config_applied_total",
    help: "Shared connector configuration values applied (routing and live pipeline settings).",
  });
  const rejected = o.metrics.counter({
    name: "connector_config_rejected_total",
    help: "Shared connector configuration values refused as invalid (the running configuration stayed).",
  });
  const revisionGauge = o.metrics.gauge({
    name: "connector_config_revision",
    help: "KV revision of the shared connector configuration in effect (0: the instance's own configuration).",
  });
  // Read, then watch (the watch replays the latest value first: a value put in between is not
  // missed); the watch is the last request, so a failed attempt leaves nothing running.
  const { initial, watch } = await untilJetStreamAnswers(
    async () => {
      const kv = await openConnectorConfigBucket(o.nc, bucket, replicas);
      const read = await kv.get(key);
      return { initial: read, watch: await kv.watch({ key }) };
    },
    {
      what: "watch the shared connector configuration",
      deadlineMs: o.startupWaitMs ?? 0,
      ...(o.stopped && { stopped: o.stopped }),
      log: o.logger,
    },
  );
  let current = appliedConnectorConfig(o.config, 0);
  // Highest revision looked at, applied or not: the watch replays the latest value first.
  let seen = 0;

  /** The configuration an entry asks for, or undefined when it is invalid (counted, logged). */
  function fromEntry(entry: KvEntry): AppliedConnectorConfig | undefined {
    if (entry.operation !== "PUT") return appliedConnectorConfig(o.config, entry.revision);
    const check = checkConnectorConfig(entry.string());
    if (check.ok) return appliedConnectorConfig(o.config, entry.revision, check);
    rejected.inc();
    o.logger.error(
      { bucket, key, revision: entry.revision, problems: check.problems, running: current.revision },
      "shared connector configuration refused: the running one stays",
    );
    return undefined;
  }

  if (initial !== null) {
    seen = initial.revision;
    current = fromEntry(initial) ?? current;
  }
  revisionGauge.set(current.revision);
  o.logger.info(
    { bucket, key, revision: current.revision, rules: current.rules.length },
    current.revision === 0
      ? "no shared connector configuration: this instance's own applies"
      : "shared connector configuration applied",
  );

  void (async () => {
    for await (const entry of watch) {
      if (entry.revision <= seen) continue;
      seen = entry.revision;
      const next = fromEntry(entry);
      if (next === undefined) continue;
      current = next;
      applied.inc();
      revisionGauge.set(next.revision);
      o.onChange(next);
      o.logger.info(
        { bucket, key, revision: next.revision, rules: next.rules.length },
        next.revision === 0
          ? "shared connector configuration deleted: this instance's own applies"
          : "shared connector configuration applied",
      );
    }
  })().catch((err: unknown) => o.logger.error({ err, bucket, key }, "connector configuration watch ended"));

  return {
    current: () => current,
    stop: () => watch.stop(),
  };
}
