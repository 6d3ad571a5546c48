import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CONNECTOR_CONFIG_HISTORY, openConnectorConfigBucket } from "@langtian/connector-config";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { type ConnectorConfigRevision, ConnectorConfigRevisionSchema } from "@langtian/proto";
import type { KV, KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/** The revision asked for is not the configuration's, or the bucket no longer keeps it. */
export class UnknownRevisionError extends LangtianError {
  override readonly name = "UnknownRevisionError";
  override readonly code = ErrorCode.notFound;
}

/** A compare-and-set write found another revision than the one expected. */
export class RevisionConflictError extends LangtianError {
  override readonly name = "RevisionConflictError";
  override readonly code = ErrorCode.aborted;
}

/** The configuration key's revisions in the bucket (NATS KV). */
export interface ConnectorConfigStore {
  /** `bucket/key`, as audited. */
  readonly name: string;
  /** The current revision (0) or one kept; undefined when nothing was ever written. */
  get(revision: number): Promise<ConnectorConfigRevision | undefined>;
  /**
   * Writes `value` as a new revision. With `expectedRevision` only when it is the current one
   * (0: only when the key holds no value).
   * @throws RevisionConflictError when another revision is current.
   */
  put(value: string, expectedRevision: number | undefined): Promise<ConnectorConfigRevision>;
  /** Revisions kept, newest first, at most `limit`. */
  history(limit: number): Promise<ConnectorConfigRevision[]>;
}

function revisionOf(entry: KvEntry): ConnectorConfigRevision {
  const deleted = entry.operation !== "PUT";
  return create(ConnectorConfigRevisionSchema, {
    revision: BigInt(entry.revision),
    time: timestampFromDate(entry.created),
    value: deleted ? "" : entry.string(),
    deleted,
  });
}

/** The server refused a compare-and-set write (JetStream "wrong last sequence", 10071). */
function isWrongLastSequence(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String((err as { code?: unknown }).code ?? "")}` : "";
  return /wrong last sequence|10071|key exists|already exists/i.test(text);
}

/** Opens (creating it when missing) the bucket and returns the store of `key`. */
export async function openConnectorConfigStore(
  nc: NatsConnection,
  bucket: string,
  key: string,
  replicas: number,
): Promise<ConnectorConfigStore> {
  const kv: KV = await openConnectorConfigBucket(nc, bucket, replicas);
  const read = async (revision: number) => {
    const entry = revision === 0 ? await kv.get(key) : await kv.get(key, { revision }).catch(() => null);
    // A revision of the bucket that belongs to no write of this key is not one of ours.
    if (entry === null || entry.key !== key) return undefined;
    return entry;
  };
  return {
    name: `${bucket}/${key}`,
    async get(revision) {
      const entry = await read(revision);
      if (entry === undefined && revision !== 0)
        throw new UnknownRevisionError(
          `revision ${revision} is not a revision of the configuration the bucket keeps (the last ${CONNECTOR_CONFIG_HISTORY})`,
        );
      return entry === undefined ? undefined : revisionOf(entry);
    },
    async put(value, expectedRevision) {
      let revision: number;
      try {
        if (expectedRevision === undefined) revision = await kv.put(key, value);
        else if (expectedRevision === 0) revision = await kv.create(key, value);
        else revision = await kv.update(key, value, expectedRevision);
      } catch (err) {
        if (expectedRevision !== undefined && isWrongLastSequence(err)) {
          const current = await read(0);
          throw new RevisionConflictError(
            `the current revision is ${current?.revision ?? 0}, not ${expectedRevision}: read it again and retry`,
            { cause: err },
          );
        }
        throw err;
      }
      const written = await read(revision);
      return written === undefined
        ? create(ConnectorConfigRevisionSchema, { revision: BigInt(revision), value })
        : revisionOf(written);
    },
    async history(limit) {
      const entries: ConnectorConfigRevision[] = [];
      const iterator = await kv.history({ key });
      for await (const entry of iterator) entries.push(revisionOf(entry));
      return entries.reverse().slice(0, limit);
    },
  };
}
