import { jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/** Where the shared connector configuration lives unless configured otherwise. */
export const ConnectorConfigLocation = {
  /** The NATS KV bucket. */
  bucket: "langtian_connector_config",
  /** The key of the bridges' configuration in it. */
  key: "bridge",
} as const;

/** Revisions of the key the bucket keeps (the NATS KV maximum): what rollback can reach. */
export const CONNECTOR_CONFIG_HISTORY = 64;

/**
 * Opens the configuration bucket, creating it when it is missing (KV history
 * {@link CONNECTOR_CONFIG_HISTORY}, `replicas` copies on a cluster). The admin and every
 * bridge open it alike, so whichever starts first makes it; when two create it at once, the
 * loser opens the winner's.
 */
export async function openConnectorConfigBucket(
  nc: NatsConnection,
  bucket: string,
  replicas: number,
): Promise<KV> {
  const jsm = await jetstreamManager(nc);
  const kvm = new Kvm(nc);
  const exists = () =>
    jsm.streams.info(`KV_${bucket}`).then(
      () => true,
      () => false,
    );
  if (await exists()) return kvm.open(bucket);
  try {
    return await kvm.create(bucket, { history: CONNECTOR_CONFIG_HISTORY, replicas });
  } catch (err) {
    if (await exists()) return kvm.open(bucket);
    throw err;
  }
}
