import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type AuditEntry, AuditEntrySchema } from "@langtian/proto";
import { DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** One mutating action, as recorded. */
export interface AuditRecord {
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly request: unknown;
  /** "ok", or the error code. */
  readonly result: string;
  readonly detail: string;
}

/** The audit log: a JetStream stream, so it is durable, replicated with the cluster and ordered. */
export interface AuditLog {
  /** Appends an entry; resolves once JetStream stored it. */
  record(entry: AuditRecord): Promise<void>;
  /** Entries newest first: at most `limit`, older than `beforeSequence` when given (> 0). */
  list(limit: number, beforeSequence: bigint): Promise<AuditEntry[]>;
}

/** Subject entries are published on: `<stream lower-case>.<action>`. */
function subjectOf(stream: string, action: string): string {
  return `${stream.toLowerCase()}.${action.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/**
 * Creates (or reuses) the audit stream `stream` (file storage, kept by limits: never dropped
 * by acknowledgement) and returns the log. `replicas` follows the NATS cluster size.
 */
export async function openAuditLog(nc: NatsConnection, stream: string, replicas: number): Promise<AuditLog> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({
      name: stream,
      subjects: [`${stream.toLowerCase()}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: replicas,
      max_bytes: 256 * 1024 * 1024,
    });
  }
  const js = jetstream(nc);
  return {
    async record(entry) {
      const body = { ...entry, time: new Date().toISOString(), request: JSON.stringify(entry.request ?? {}) };
      await js.publish(subjectOf(stream, entry.action), JSON.stringify(body));
    },
    async list(limit, beforeSequence) {
      const info = await jsm.streams.info(stream);
      const last = beforeSequence > 0n ? beforeSequence - 1n : BigInt(info.state.last_seq);
      const first = BigInt(info.state.first_seq);
      if (info.state.messages === 0 || last < first) return [];
      const start = last - BigInt(limit) + 1n > first ? last - BigInt(limit) + 1n : first;
      const consumer = await js.consumers.get(stream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Number(start),
      });
      const entries: AuditEntry[] = [];
      const wanted = Number(last - start) + 1;
      const messages = await consumer.fetch({ max_messages: wanted, expires: 2_000 });
      for await (const m of messages) {
        if (BigInt(m.seq) > last) break;
        const body = m.json<Record<string, string>>();
        entries.push(
          create(AuditEntrySchema, {
            sequence: BigInt(m.seq),
            time: timestampFromMs(Date.parse(body.time ?? "") || 0),
            actor: body.actor ?? "",
            action: body.action ?? "",
            target: body.target ?? "",
            request: body.request ?? "",
            result: body.result ?? "",
            detail: body.detail ?? "",
          }),
        );
        if (entries.length >= wanted) break;
      }
      return entries.reverse();
    },
  };
}
