import { ErrorCode, LangtianError } from "@langtian/errors";
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { Admin } from "@platformatic/kafka";

/** Name of the priority group used by ordered mode (pinned client). */
export const ORDERED_PRIORITY_GROUP = "bridge";

/** What the durable consumer must look like. */
export interface ConsumerPlan {
  readonly stream: string;
  readonly durable: string;
  /** Subjects this consumer takes from the stream (empty: all of them). */
  readonly filterSubjects: readonly string[];
  readonly ackWaitMs: number;
  /** Messages delivered and not yet acked, all instances together. Delivery stops when reached. */
  readonly maxAckPending: number;
  /** One active instance with automatic failover (priority group, pinned client). */
  readonly ordered: boolean;
  /** Ordered mode: an instance silent this long loses the pin to another one. */
  readonly pinnedTimeoutMs: number;
}

/** Stream to create when missing (tests, benchmarks, a standalone stack). Production streams belong to the collector. */
export interface StreamPlan {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly maxBytes: number;
}

/** The Kafka topics the bridge writes to. */
export interface TopicsPlan {
  readonly topics: readonly string[];
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

/** What the provision step did, for the CLI to print. */
export interface ProvisionReport {
  stream: "created" | "exists";
  consumer: "created" | "updated" | "unchanged";
  topicsCreated: string[];
  topicsExisting: string[];
}

/**
 * Raised when the bridge's provision step (stream check, durable consumer, topics) cannot reach
 * a correct state; the message says what to change. Named apart from the tool installer's
 * `ProvisionError` of `@langtian/provision`, which is another thing.
 */
export class BridgeProvisionError extends LangtianError {
  override readonly code = ErrorCode.failedPrecondition;
  override readonly name = "BridgeProvisionError";
}

/** The consumer configuration the plan asks for. */
export function consumerConfig(plan: ConsumerPlan): Partial<ConsumerConfig> {
  const config: Partial<ConsumerConfig> = {
    durable_name: plan.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(plan.ackWaitMs),
    max_ack_pending: plan.maxAckPending,
    // Unlimited: the bridge itself decides when a message is poison (and dead-letters it first),
    // a server-side limit would drop messages silently during a long Kafka outage.
    max_deliver: -1,
    description: "Langtian bridge: JetStream to Kafka",
  };
  if (plan.filterSubjects.length === 1) config.filter_subject = plan.filterSubjects[0] as string;
  if (plan.filterSubjects.length > 1) config.filter_subjects = [...plan.filterSubjects];
  if (plan.ordered) {
    config.priority_groups = [ORDERED_PRIORITY_GROUP];
    config.priority_policy = "pinned_client";
    config.priority_timeout = nanos(plan.pinnedTimeoutMs);
  }
  return config;
}

/**
 * Creates or updates the durable pull consumer (idempotent). Instances only bind to it; it is
 * never created as a side effect of an instance starting nor deleted when one stops.
 */
export async function provisionConsumer(
  jsm: JetStreamManager,
  plan: ConsumerPlan,
  stream?: StreamPlan,
): Promise<Pick<ProvisionReport, "stream" | "consumer">> {
  let streamState: ProvisionReport["stream"] = "exists";
  try {
    await jsm.streams.info(plan.stream);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    if (stream === undefined) {
      throw new BridgeProvisionError(
        `stream "${plan.stream}" does not exist: create it first (collector provisioning) or configure its subjects`,
        { cause: err },
      );
    }
    await jsm.streams.add({
      name: stream.name,
      subjects: [...stream.subjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      // DiscardNew: a full stream refuses publishes (visible, alertable) instead of silently
      // deleting events the bridge has not delivered yet.
      discard: DiscardPolicy.New,
      max_bytes: stream.maxBytes,
      duplicate_window: nanos(120_000),
    });
    streamState = "created";
  }

  const wanted = consumerConfig(plan);
  let existing: ConsumerConfig | undefined;
  try {
    existing = (await jsm.consumers.info(plan.stream, plan.durable)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (existing === undefined) {
    await jsm.consumers.add(plan.stream, wanted);
    return { stream: streamState, consumer: "created" };
  }
  const wasOrdered = existing.priority_policy === "pinned_client";
  if (wasOrdered !== plan.ordered) {
    throw new BridgeProvisionError(
      `consumer "${plan.durable}" exists with ordered=${wasOrdered}; the server cannot change its priority policy in place. ` +
        "Stop all bridge instances, delete the consumer deliberately, then provision again.",
    );
  }
  const changed = (Object.keys(wanted) as (keyof ConsumerConfig)[]).some(
    (k) => JSON.stringify(existing[k]) !== JSON.stringify(wanted[k]),
  );
  if (!changed) return { stream: streamState, consumer: "unchanged" };
  const { durable_name: _name, deliver_policy: _deliver, ...editable } = wanted;
  await jsm.consumers.update(plan.stream, plan.durable, editable);
  return { stream: streamState, consumer: "updated" };
}

/** Creates the missing topics with partitions, replication factor and `min.insync.replicas` (idempotent). */
export async function provisionTopics(
  bootstrap: readonly string[],
  plan: TopicsPlan,
): Promise<Pick<ProvisionReport, "topicsCreated" | "topicsExisting">> {
  const admin = new Admin({ clientId: "langtian-bridge-provision", bootstrapBrokers: [...bootstrap] });
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [...new Set(plan.topics)];
    const missing = wanted.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        topics: missing,
        partitions: plan.partitions,
        replicas: plan.replicationFactor,
        configs: [{ name: "min.insync.replicas", value: String(plan.minInsyncReplicas) }],
      });
    }
    return { topicsCreated: missing, topicsExisting: wanted.filter((t) => existing.has(t)) };
  } finally {
    await admin.close();
  }
}

function isNotFound(err: unknown): boolean {
  // 10059: stream not found; 10014: consumer not found.
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014);
}
