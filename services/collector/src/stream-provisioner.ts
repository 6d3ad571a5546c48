import { ErrorCode, LangtianError } from "@langtian/errors";
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";

/** The event stream the collector publishes into, as configured. */
export interface EventStreamSettings {
  readonly name: string;
  /** Subject prefix; events go to `<prefix>.<event_type>`, the stream captures `<prefix>.>`. */
  readonly subjectPrefix: string;
  readonly replicas: number;
  readonly duplicateWindowMs: number;
  /** Limits; 0 = unlimited (-1 on the wire). */
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly maxMsgs: number;
  readonly maxMsgBytes: number;
}

/** One setting where the live stream differs from the configuration. */
export interface StreamDifference {
  readonly field: string;
  readonly live: string;
  readonly configured: string;
}

/** The stream could not be created (e.g. limits beyond the server's JetStream resources). */
export class StreamProvisionError extends LangtianError {
  override readonly code = ErrorCode.failedPrecondition;
  override readonly name = "StreamProvisionError";
}

/** Result of {@link ensureStream}. */
export interface EnsureStreamResult {
  readonly created: boolean;
  readonly differences: readonly StreamDifference[];
}

const NS_PER_MS = 1_000_000;
const limit = (n: number) => (n > 0 ? n : -1);

/** The stream configuration the collector wants: file storage, limits with DiscardNew. */
export function desiredStreamConfig(s: EventStreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    subjects: [`${s.subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // DiscardNew: a full stream refuses publishes (the collector spools and alerts) instead of
    // silently deleting unconsumed events as DiscardOld would.
    discard: DiscardPolicy.New,
    num_replicas: s.replicas,
    duplicate_window: s.duplicateWindowMs * NS_PER_MS,
    max_bytes: limit(s.maxBytes),
    max_age: s.maxAgeMs > 0 ? s.maxAgeMs * NS_PER_MS : 0,
    max_msgs: limit(s.maxMsgs),
    max_msg_size: limit(s.maxMsgBytes),
  };
}

/** Compares a live stream configuration with the desired one, field by field. */
export function diffStreamConfig(live: StreamConfig, desired: Partial<StreamConfig>): StreamDifference[] {
  const out: StreamDifference[] = [];
  const compare = (field: keyof StreamConfig, show: (v: unknown) => string = String) => {
    const want = desired[field];
    const have = live[field];
    if (want !== undefined && show(want) !== show(have))
      out.push({ field, live: show(have), configured: show(want) });
  };
  const ms = (v: unknown) => (typeof v === "number" ? `${v / NS_PER_MS}ms` : String(v));
  compare("storage");
  compare("retention");
  compare("discard");
  compare("num_replicas");
  compare("duplicate_window", ms);
  compare("max_bytes");
  compare("max_age", ms);
  compare("max_msgs");
  compare("max_msg_size");
  const missing = (desired.subjects ?? []).filter((s) => !live.subjects.includes(s));
  if (missing.length > 0) {
    out.push({
      field: "subjects",
      live: live.subjects.join(","),
      configured: (desired.subjects ?? []).join(","),
    });
  }
  return out;
}

/**
 * Creates the stream when it does not exist, else verifies it. A differing live stream is
 * not changed (limits and replicas are an operator's decision): each difference is returned
 * for the caller to warn about precisely.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  settings: EventStreamSettings,
): Promise<EnsureStreamResult> {
  const desired = desiredStreamConfig(settings);
  try {
    const info = await jsm.streams.info(settings.name);
    return { created: false, differences: diffStreamConfig(info.config, desired) };
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err;
  }
  try {
    await jsm.streams.add(desired);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new StreamProvisionError(
      `cannot create stream ${settings.name} (replicas ${settings.replicas}, max_bytes ${settings.maxBytes}): ${reason}`,
      { cause },
    );
  }
  return { created: true, differences: [] };
}
