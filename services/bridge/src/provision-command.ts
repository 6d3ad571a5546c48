import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type BridgeConfig, bridgeTopics } from "./config.ts";
import { type ProvisionReport, provisionConsumer, provisionTopics } from "./provision.ts";

/**
 * The `provision` step: creates or updates the durable consumer (and the stream when
 * `nats.streamSubjects` is set and it is missing) and creates the Kafka topics. Idempotent:
 * run it before starting instances, and again after changing the configuration.
 */
export async function runProvision(config: BridgeConfig): Promise<ProvisionReport> {
  const nc = await connect({ servers: config.nats.url.split(","), name: "langtian-bridge-provision" });
  try {
    const jsm = await jetstreamManager(nc);
    const nats = await provisionConsumer(
      jsm,
      {
        stream: config.nats.stream,
        durable: config.nats.durable,
        filterSubjects: config.nats.filterSubjects,
        ackWaitMs: config.nats.ackWaitMs,
        maxAckPending: config.nats.maxAckPending,
        ordered: config.nats.ordered,
        pinnedTimeoutMs: config.nats.pinnedTimeoutMs,
      },
      config.nats.streamSubjects.length === 0
        ? undefined
        : {
            name: config.nats.stream,
            subjects: config.nats.streamSubjects,
            maxBytes: config.nats.streamMaxBytes,
          },
    );
    const kafka = await provisionTopics(config.kafka.bootstrap, {
      topics: bridgeTopics(config),
      partitions: config.kafka.partitions,
      replicationFactor: config.kafka.replicationFactor,
      minInsyncReplicas: config.kafka.minInsyncReplicas,
    });
    return { ...nats, ...kafka };
  } finally {
    await nc.close();
  }
}
