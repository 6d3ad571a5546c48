import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { decodeEnvelope } from "@langtian/envelope";
import { type DeadLetter, DeadLetterOriginSchema, DeadLetterSchema } from "@langtian/proto";
import { DeliverPolicy, type JsMsg, jetstream, jetstreamManager, type StoredMsg } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";

/** The stage name of the collector's dead letters. */
export const COLLECTOR_STAGE = "collector";

/** `collector/<stream>/<sequence>`. */
export function collectorDeadLetterId(stream: string, sequence: number | bigint): string {
  return `${COLLECTOR_STAGE}/${stream}/${sequence}`;
}

/** The collector's dead letters: a JetStream stream on its `deadLetter.subject`. */
export interface CollectorDeadLetters {
  /** The newest `scan` messages (raw bytes left out). */
  list(): Promise<DeadLetter[]>;
  /** One message, raw bytes included; undefined when the stream no longer holds it. */
  get(sequence: bigint): Promise<DeadLetter | undefined>;
}

/**
 * Reads the stream that keeps the collector's rejected datagrams (the collector publishes them
 * on `deadLetter.subject` with `Langtian-Reason`, `-Listener` and `-Detail` headers; a stream on
 * that subject makes them durable). A list looks at the newest `scan` messages.
 */
export function createCollectorDeadLetters(
  nc: NatsConnection,
  stream: string,
  scan: number,
): CollectorDeadLetters {
  return {
    async list() {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(stream);
      if (info.state.messages === 0) return [];
      const last = info.state.last_seq;
      const start = Math.max(info.state.first_seq, last - scan + 1);
      const consumer = await jetstream(nc).consumers.get(stream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: start,
      });
      const out: DeadLetter[] = [];
      try {
        const messages = await consumer.fetch({ max_messages: last - start + 1, expires: 2_000 });
        for await (const m of messages) {
          out.push(toDeadLetter(stream, m, false));
          if (m.seq >= last) break;
        }
      } finally {
        await consumer.delete().catch(() => undefined);
      }
      return out;
    },
    async get(sequence) {
      const jsm = await jetstreamManager(nc);
      const m = await jsm.streams.getMessage(stream, { seq: Number(sequence) }).catch(() => null);
      return m === null ? undefined : toDeadLetter(stream, m, true);
    },
  };
}

function toDeadLetter(stream: string, m: JsMsg | StoredMsg, withRaw: boolean): DeadLetter {
  // A consumed message says `headers`, a stored one (got by sequence) `header`.
  const headers: MsgHdrs | undefined = "info" in m ? m.headers : m.header;
  const reason = headers?.get("Langtian-Reason") ?? "";
  const detail = headers?.get("Langtian-Detail") ?? "";
  const sequence = m.seq;
  const timeMs = m.time.getTime();
  let eventId = "";
  let eventType = "";
  try {
    const envelope = decodeEnvelope(m.data);
    eventId = envelope.eventId;
    eventType = envelope.eventType;
  } catch {
    // A raw datagram in the listener's own format (device frame, JSON): not an envelope.
  }
  return create(DeadLetterSchema, {
    id: collectorDeadLetterId(stream, sequence),
    stage: COLLECTOR_STAGE,
    reason,
    error: detail === "" ? reason : `${reason}: ${detail}`,
    failedAt: timestampFromMs(timeMs),
    eventId,
    eventType,
    rawBytes: m.data.length,
    origin: create(DeadLetterOriginSchema, {
      subject: m.subject,
      streamSequence: BigInt(sequence),
      listener: headers?.get("Langtian-Listener") ?? "",
    }),
    ...(withRaw && { raw: m.data }),
  });
}
