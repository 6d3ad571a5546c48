import {
  boolean,
  ConfigError,
  type ConfigFile,
  type ConfigIssue,
  defineConfigSchema,
  type Env,
  type InferConfig,
  integer,
  loadConfig,
  number,
  oneOf,
  serviceFields,
  string,
  stringList,
  tracingFields,
} from "@langtian/service-kit";
import { createDefaultDecoders } from "./decoders/index.ts";
import { parseIngestAccess } from "./ingest-access.ts";
import { parseSourceNetworks } from "./source-networks.ts";
import { FsyncPolicy, OverflowPolicy } from "./spool.ts";

/**
 * The collector's configuration. Env vars: `LANGTIAN_COLLECTOR_<PATH>`, e.g.
 * `LANGTIAN_COLLECTOR_NATS_URL`, `LANGTIAN_COLLECTOR_UDP_LISTENERS` (comma-separated).
 */
export const collectorConfigSchema = defineConfigSchema("collector", {
  ...serviceFields({ port: 4101 }),
  ...tracingFields(),
  nats: {
    url: string({ default: "nats://127.0.0.1:4222", description: "NATS server URL(s), comma-separated." }),
    ackTimeoutMs: integer({ default: 5_000, min: 1, description: "How long to wait for a PubAck, in ms." }),
    startupWaitMs: integer({
      default: 5_000,
      min: 0,
      description: "How long startup waits for NATS before accepting into the spool alone, in ms.",
    }),
  },
  stream: {
    name: string({
      default: "EDA_EVENTS",
      pattern: /^[A-Za-z0-9_-]+$/,
      description: "JetStream stream name.",
    }),
    subjectPrefix: string({
      default: "eda.events",
      pattern: /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/,
      description: "Events are published to `<prefix>.<event_type>`.",
    }),
    replicas: integer({ default: 1, min: 1, max: 5, description: "Stream replicas (1 or 3)." }),
    duplicateWindowMs: integer({ default: 120_000, min: 1_000, description: "Dedupe window, in ms." }),
    maxBytes: integer({
      default: 1024 ** 3,
      min: 0,
      description: "Stream size limit in bytes; 0 = none.",
    }),
    maxAgeMs: integer({
      default: 7 * 24 * 3_600_000,
      min: 0,
      description: "Message age limit in ms; 0 = none.",
    }),
    maxMsgs: integer({ default: 0, min: 0, description: "Message count limit; 0 = none." }),
    maxMsgBytes: integer({
      default: 1024 * 1024,
      min: 0,
      description: "Largest message in bytes; 0 = none.",
    }),
  },
  udp: {
    listeners: stringList({
      default: ["udp://127.0.0.1:7401?decoder=json&event_type=device.telemetry&source_system=local"],
      description:
        "UDP listeners: udp://HOST:PORT?decoder=NAME&event_type=TYPE&source_system=SRC[&schema_version=1.0][&name=N]; [::] for IPv6.",
    }),
    receiveBufferBytes: integer({
      default: 8 * 1024 * 1024,
      min: 65_536,
      description: "SO_RCVBUF per socket.",
    }),
    receiveThread: boolean({
      default: true,
      description:
        "Read each UDP socket on its own worker thread, which hands datagrams to the main thread in batches.",
    }),
    receiveThreadMaxQueued: integer({
      default: 65_536,
      min: 256,
      description: "Datagrams read by the receive thread and not yet processed before new ones are dropped.",
    }),
    maxDatagramBytes: integer({
      default: 65_507,
      min: 64,
      max: 65_535,
      description: "Larger datagrams are rejected.",
    }),
    allowedSources: stringList({
      default: [],
      description:
        "Networks devices may send UDP from (CIDR like 10.20.0.0/16 or fd00::/8, or single addresses); datagrams from elsewhere are dropped and counted. Empty = any sender.",
    }),
  },
  publish: {
    maxInFlight: integer({
      // About a second of PubAcks at 15,000 events/s: with 4,096 a replicated stream's PubAck
      // latency spikes (R3 on a busy box) tipped the collector into spooling at 14,000/s.
      default: 16_384,
      min: 1,
      description: "Publishes awaiting PubAck before spooling.",
    }),
    stallMs: integer({
      default: 1_000,
      min: 1,
      description:
        "The oldest publish awaiting its PubAck this long turns publishing to the spool (order-preserving), in ms.",
    }),
    batchDelayMs: integer({
      default: 5,
      min: 0,
      max: 1_000,
      description:
        "Events arriving within this many ms are published together (one socket write); 0 = per event-loop turn.",
    }),
    replayBatch: integer({ default: 1_024, min: 1, description: "Spooled events replayed concurrently." }),
    replayRetryMs: integer({
      default: 500,
      min: 1,
      description: "Pause after a failed replay round, in ms.",
    }),
  },
  spool: {
    dir: string({ default: "data/collector/spool", description: "Spool directory (one per instance)." }),
    maxBytes: integer({ default: 1024 ** 3, min: 1024, description: "Spool size limit in bytes." }),
    segmentBytes: integer({
      default: 64 * 1024 * 1024,
      min: 1024,
      description: "Spool segment size in bytes.",
    }),
    fsync: oneOf([FsyncPolicy.Always, FsyncPolicy.Interval, FsyncPolicy.Never], {
      default: FsyncPolicy.Interval,
      description: "When spooled events are flushed to disk.",
    }),
    fsyncIntervalMs: integer({
      default: 200,
      min: 1,
      description: "Flush period for fsync=interval, in ms.",
    }),
    overflow: oneOf([OverflowPolicy.RejectNew, OverflowPolicy.DropOldest], {
      default: OverflowPolicy.RejectNew,
      description: "What a full spool does: refuse new events, or delete the oldest segment.",
    }),
  },
  ingest: {
    maxBatchEvents: integer({ default: 1_000, min: 1, description: "Most events per Ingest call." }),
    maxEventBytes: integer({
      default: 1024 * 1024,
      min: 256,
      description: "Largest pushed event, in bytes.",
    }),
    maxRequestBytes: integer({
      // One largest event even as JSON (base64 payload), or a full batch of ~4 KB events.
      default: 4 * 1024 * 1024,
      min: 1024,
      description:
        "Largest push request body, in bytes (Ingest message or POST /v1/events body); more is refused while reading.",
    }),
    apiKeys: stringList({
      default: [],
      secret: true,
      description:
        "Push credentials, one per pushing system: NAME:SECRET:SOURCE[|SOURCE...] (SOURCE = a source_system it may push under, * = any). Sent as 'Authorization: Bearer SECRET'.",
    }),
    allowUnauthenticated: boolean({
      default: false,
      description:
        "Accept pushes without a key while no keys are configured although the port listens beyond loopback (only behind a trusted network boundary).",
    }),
    rateLimit: {
      eventsPerSecond: number({
        default: 1_000,
        min: 0,
        description:
          "Events per second each key (or all unauthenticated pushes together) may push; 0 = no limit.",
      }),
      burstEvents: integer({
        default: 2_000,
        min: 1,
        description:
          "Events a key may push at once after being idle (token bucket size); at least ingest.maxBatchEvents.",
      }),
    },
  },
  deadLetter: {
    subject: string({
      optional: true,
      description: "Subject for rejected datagrams (raw); unset = count only.",
    }),
  },
});

/** The loaded configuration. */
export type CollectorConfig = InferConfig<typeof collectorConfigSchema>;

/**
 * Loads and checks the collector configuration (pure: env and file are arguments), including
 * what needs parsing: the `udp.listeners` URLs against the decoders (`decoderNames`, by default
 * the built-ins), the push keys and their exposure, and `udp.allowedSources`.
 * @throws ConfigError listing every problem at once.
 */
export function loadCollectorConfig(
  env: Env,
  file?: ConfigFile,
  decoderNames: readonly string[] = createDefaultDecoders().names(),
): CollectorConfig {
  return loadConfig(collectorConfigSchema, env, file, (config) => [
    ...issuesOf(() => parseListeners(config.udp.listeners, decoderNames)),
    ...issuesOf(() => parseIngestAccess(config)),
    ...issuesOf(() => parseSourceNetworks(config.udp.allowedSources)),
  ]);
}

/** The issues a parser's ConfigError lists (none when it parses). */
function issuesOf(parse: () => unknown): readonly ConfigIssue[] {
  try {
    parse();
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
}

/** One UDP listener, parsed from its `udp://` URL. */
export interface ListenerConfig {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly decoder: string;
  readonly eventType: string;
  readonly sourceSystem: string;
  readonly schemaVersion: string;
}

/**
 * Parses the `udp.listeners` URLs; every problem is reported at once (as a ConfigError),
 * including decoders that are not registered.
 */
export function parseListeners(specs: readonly string[], decoderNames: readonly string[]): ListenerConfig[] {
  const issues: ConfigIssue[] = [];
  const out: ListenerConfig[] = [];
  const names = new Set<string>();
  for (const [i, spec] of specs.entries()) {
    const path = `udp.listeners[${i}]`;
    const problem = (expected: string) =>
      issues.push({ path, source: "config", expected, got: JSON.stringify(spec) });
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      problem("a udp://HOST:PORT?decoder=...&event_type=...&source_system=... URL");
      continue;
    }
    const q = url.searchParams;
    const decoder = q.get("decoder") ?? "";
    const eventType = q.get("event_type") ?? "";
    const sourceSystem = q.get("source_system") ?? "";
    const port = Number(url.port || "0");
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (url.protocol !== "udp:") problem("scheme udp://");
    if (!decoderNames.includes(decoder)) problem(`decoder= one of ${decoderNames.join(", ")}`);
    if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(eventType))
      problem('event_type= a dotted type like "device.telemetry"');
    if (sourceSystem === "") problem("source_system= a non-empty name");
    if (host === "") problem("a host");
    const name = q.get("name") ?? `${decoder}-${host}-${port}`;
    if (names.has(name)) problem(`a unique name (duplicate "${name}")`);
    names.add(name);
    out.push({
      name,
      host,
      port,
      decoder,
      eventType,
      sourceSystem,
      schemaVersion: q.get("schema_version") ?? "1.0",
    });
  }
  if (issues.length > 0) throw new ConfigError("collector", issues);
  return out;
}
