import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ErrorCode, LangtianError } from "@langtian/errors";
import {
  type DeadLetter,
  type ListDeadLettersRequest,
  type ListDeadLettersResponse,
  ListDeadLettersResponseSchema,
  type ReplayResult,
  ReplayResultSchema,
} from "@langtian/proto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { Producer } from "@platformatic/kafka";
import { BRIDGE_STAGE, type BridgeDeadLetters } from "./bridge-dead-letters.ts";
import { COLLECTOR_STAGE, type CollectorDeadLetters } from "./collector-dead-letters.ts";
import { LAKE_WRITER_STAGE, type LakeDeadLetters } from "./lake-dead-letters.ts";

/** The id does not name a dead letter (malformed, or none there). */
export class DeadLetterNotFoundError extends LangtianError {
  override readonly name = "DeadLetterNotFoundError";
  override readonly code = ErrorCode.notFound;
}

/** A replay that needs NATS while it is away. */
export class ReplayUnavailableError extends LangtianError {
  override readonly name = "ReplayUnavailableError";
  override readonly code = ErrorCode.unavailable;
}

/** The filter names a stage this admin does not read dead letters from. */
export class UnknownStageError extends LangtianError {
  override readonly name = "UnknownStageError";
  override readonly code = ErrorCode.invalidArgument;
}

/** Default and largest page. */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;

/** Header a replayed record carries: the dead letter it replays. */
export const REPLAYED_FROM_HEADER = "langtian-replayed-from";

/** What the dead letters come from, and where replays go. */
export interface DeadLetterSources {
  readonly lake: LakeDeadLetters;
  /** The bridge's dead-letter topic; undefined when not configured. */
  readonly bridge: BridgeDeadLetters | undefined;
  /** The collector's dead-letter stream; undefined when not configured or NATS is away. */
  readonly collector: () => CollectorDeadLetters | undefined;
  readonly nats: () => NatsConnection | undefined;
  readonly kafkaBootstrap: readonly string[];
  /** Replayed collector dead letters go to `<prefix>.<event_type>` (the collector's subjects). */
  readonly eventsSubjectPrefix: string;
}

const STAGES = [COLLECTOR_STAGE, BRIDGE_STAGE, LAKE_WRITER_STAGE] as const;

/** `<stage>/…`: the stage an id names. */
function stageOf(id: string): string {
  return id.slice(0, Math.max(0, id.indexOf("/")));
}

/** Dead letters of the stages: list, get, replay. */
export interface DeadLetters {
  list(request: ListDeadLettersRequest): Promise<ListDeadLettersResponse>;
  get(id: string): Promise<DeadLetter>;
  replay(ids: readonly string[]): Promise<ReplayResult[]>;
}

/** Cursor of a page: the last entry's failed-at ms and id. */
function parseCursor(cursor: string): { ms: number; id: string } | undefined {
  if (cursor === "") return undefined;
  const at = cursor.indexOf("|");
  const ms = Number(cursor.slice(0, at));
  if (at < 0 || !Number.isFinite(ms)) return undefined;
  return { ms, id: cursor.slice(at + 1) };
}

/** `lake-writer/<source>/<partition>/<position>` → its parts; undefined when malformed. */
function parseLakeId(id: string): { source: string; partition: string; position: bigint } | undefined {
  const m = /^lake-writer\/(.+)\/([^/]+)\/(\d+)$/.exec(id);
  if (m === null) return undefined;
  return { source: m[1] as string, partition: m[2] as string, position: BigInt(m[3] as string) };
}

/** Newest first, then by id (descending) among those that failed in the same ms. */
function isBefore(d: DeadLetter, before: { ms: number; id: string }): boolean {
  const ms = d.failedAt === undefined ? 0 : timestampMs(d.failedAt);
  return ms < before.ms || (ms === before.ms && d.id < before.id);
}

/**
 * The dead letters of every stage: the collector's (a JetStream stream on its dead-letter
 * subject), the bridge's (its dead-letter topic) and the lake writer's (the lake table
 * `dead_letters`). Replay sends a dead letter's bytes back to where it came from so it flows
 * again: the lake writer's to the Kafka topic and partition it was read from, the bridge's to
 * the NATS subject it was read from (the bridge reads it again), the collector's envelopes to
 * the events subject. A record that failed for a reason since removed (a limit raised, a
 * downstream fixed) then flows; one that can never be stored (undecodable) becomes a new dead
 * letter — which is correct. Replaying is safe to repeat: the lake writer keeps one row per
 * event id.
 */
export function createDeadLetters(sources: DeadLetterSources): DeadLetters {
  const find = async (id: string): Promise<DeadLetter | undefined> => {
    switch (stageOf(id)) {
      case LAKE_WRITER_STAGE: {
        const lakeId = parseLakeId(id);
        return lakeId === undefined
          ? undefined
          : sources.lake.get(lakeId.source, lakeId.partition, lakeId.position);
      }
      case BRIDGE_STAGE: {
        const m = /^bridge\/(.+)\/(\d+)\/(\d+)$/.exec(id);
        if (m === null || sources.bridge === undefined) return undefined;
        const found = await sources.bridge.get(Number(m[2]), BigInt(m[3] as string));
        return found?.id === id ? found : undefined;
      }
      case COLLECTOR_STAGE: {
        const m = /^collector\/(.+)\/(\d+)$/.exec(id);
        const collector = sources.collector();
        if (m === null || collector === undefined) return undefined;
        const found = await collector.get(BigInt(m[2] as string));
        return found?.id === id ? found : undefined;
      }
      default:
        return undefined;
    }
  };
  const get = async (id: string): Promise<DeadLetter> => {
    const found = await find(id);
    if (found === undefined) throw new DeadLetterNotFoundError(`no dead letter ${JSON.stringify(id)}`);
    return found;
  };
  /** Publishes to JetStream and waits for the stream to store it. */
  const publish = async (subject: string, data: Uint8Array, headers: [string, string][]) => {
    const nc = sources.nats();
    if (nc === undefined || nc.isClosed()) throw new ReplayUnavailableError("NATS is not reachable");
    const h = natsHeaders();
    for (const [k, v] of headers) h.append(k, v);
    await jetstream(nc).publish(subject, data, { headers: h });
    return `nats:${subject}`;
  };
  /**
   * The bridge's dead letter goes back on its subject, so the bridge reads it again: the
   * message as the stream still holds it (its event headers too), else the record's value. No
   * Nats-Msg-Id: JetStream would take the copy for a duplicate of the original; the lake
   * writer's dedupe by event id is what makes replays safe.
   */
  const replayBridge = async (d: DeadLetter) => {
    const origin = d.origin;
    if (origin === undefined || origin.subject === "")
      throw new DeadLetterNotFoundError(`${d.id} does not say which subject it came from`);
    const nc = sources.nats();
    if (nc === undefined || nc.isClosed()) throw new ReplayUnavailableError("NATS is not reachable");
    const jsm = await jetstreamManager(nc);
    const stream = await jsm.streams.find(origin.subject).catch(() => undefined);
    const original =
      stream === undefined || origin.streamSequence === 0n
        ? null
        : await jsm.streams.getMessage(stream, { seq: Number(origin.streamSequence) }).catch(() => null);
    const headers: [string, string][] = [];
    let data: Uint8Array;
    if (original !== null && original.subject === origin.subject) {
      data = original.data;
      for (const [k, values] of original.header ?? [])
        if (k.toLowerCase() !== "nats-msg-id") for (const v of values) headers.push([k, v]);
    } else if (d.raw.length > 0) data = d.raw;
    else
      throw new DeadLetterNotFoundError(
        `${d.id}: the stream no longer holds message ${origin.streamSequence} and the record kept no value`,
      );
    return publish(origin.subject, data, [...headers, [REPLAYED_FROM_HEADER, d.id]]);
  };
  return {
    async list(request) {
      if (request.stage !== "" && !(STAGES as readonly string[]).includes(request.stage))
        throw new UnknownStageError(
          `stage ${JSON.stringify(request.stage)}: one of ${STAGES.join(", ")} (or none for all)`,
        );
      const limit = Math.min(MAX_LIMIT, request.limit || DEFAULT_LIMIT);
      const before = parseCursor(request.cursor);
      const sinceMs = request.since === undefined ? undefined : timestampMs(request.since);
      const untilMs = request.until === undefined ? undefined : timestampMs(request.until);
      const errors: Record<string, string> = {};
      const wanted = (stage: string) => request.stage === "" || request.stage === stage;
      const read = async (stage: string, run: () => Promise<DeadLetter[]>): Promise<DeadLetter[]> => {
        if (!wanted(stage)) return [];
        try {
          return await run();
        } catch (err) {
          errors[stage] = err instanceof Error ? err.message : String(err);
          return [];
        }
      };
      const collector = sources.collector();
      const bridge = sources.bridge;
      const parts = await Promise.all([
        read(LAKE_WRITER_STAGE, () =>
          sources.lake.list({ reason: request.reason, sinceMs, untilMs, before, limit }),
        ),
        bridge === undefined ? [] : read(BRIDGE_STAGE, () => bridge.list()),
        collector === undefined ? [] : read(COLLECTOR_STAGE, () => collector.list()),
      ]);
      const entries = parts
        .flat()
        .filter((d) => {
          const ms = d.failedAt === undefined ? 0 : timestampMs(d.failedAt);
          return (
            (request.reason === "" || d.reason === request.reason) &&
            (sinceMs === undefined || ms >= sinceMs) &&
            (untilMs === undefined || ms < untilMs) &&
            (before === undefined || isBefore(d, before))
          );
        })
        .sort((a, b) => {
          const am = a.failedAt === undefined ? 0 : timestampMs(a.failedAt);
          const bm = b.failedAt === undefined ? 0 : timestampMs(b.failedAt);
          return bm - am || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
        });
      const page = entries.slice(0, limit);
      const last = page.at(-1);
      return create(ListDeadLettersResponseSchema, {
        deadLetters: page,
        nextCursor:
          entries.length > limit && last !== undefined
            ? `${last.failedAt === undefined ? 0 : timestampMs(last.failedAt)}|${last.id}`
            : "",
        errors,
      });
    },
    get,
    async replay(ids) {
      const results: ReplayResult[] = [];
      const producer = new Producer({
        clientId: "langtian-admin-replay",
        bootstrapBrokers: [...sources.kafkaBootstrap],
        idempotent: true,
        retries: 3,
      });
      try {
        for (const id of ids) {
          try {
            const d = await get(id);
            let detail: string;
            if (d.stage === BRIDGE_STAGE) detail = await replayBridge(d);
            else if (d.stage === COLLECTOR_STAGE) {
              // A datagram the collector turned into an envelope has its event type; one in a
              // listener's own format (device frame, JSON) is not an envelope anywhere else.
              if (d.eventType === "")
                throw new DeadLetterNotFoundError(
                  `${id} is a raw ${d.origin?.listener || "listener"} datagram, not an envelope: send it to the collector's listener again`,
                );
              detail = await publish(`${sources.eventsSubjectPrefix}.${d.eventType}`, d.raw, [
                [REPLAYED_FROM_HEADER, id],
              ]);
            } else {
              const origin = d.origin;
              if (origin === undefined || origin.topic === "")
                throw new DeadLetterNotFoundError(
                  `${id} was not read from Kafka (${origin?.lakeSource ?? "?"}): nothing to replay it to`,
                );
              await producer.send({
                messages: [
                  {
                    topic: origin.topic,
                    partition: origin.partition,
                    value: Buffer.from(d.raw),
                    headers: new Map([[Buffer.from(REPLAYED_FROM_HEADER), Buffer.from(id)]]),
                  },
                ],
              });
              detail = `kafka:${origin.topic}/${origin.partition}`;
            }
            results.push(create(ReplayResultSchema, { id, replayed: true, detail }));
          } catch (err) {
            results.push(
              create(ReplayResultSchema, {
                id,
                replayed: false,
                detail: reasonOf(err),
              }),
            );
          }
        }
      } finally {
        await producer.close().catch(() => undefined);
      }
      return results;
    },
  };
}

/** The error's message with its causes' (the Kafka client wraps the broker's reason). */
function reasonOf(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof Error) {
      parts.push(e.message);
      const inner = (e as { errors?: unknown[] }).errors;
      e = e.cause ?? (Array.isArray(inner) ? inner[0] : undefined);
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(": ");
}
