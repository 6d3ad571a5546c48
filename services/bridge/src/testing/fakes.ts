import { createEnvelope, encodeEnvelope, uuidv7 } from "@langtian/envelope";
import type { InboundMessage, OutboundRecord, RecordSink } from "../pipeline-ports.ts";

/** What happened to a fake JetStream message. */
export type Outcome =
  | { kind: "ack" }
  | { kind: "nak"; delayMs: number | undefined }
  | { kind: "term"; reason: string };

/** A JetStream message double that records ack/nak/term/working calls. */
export interface FakeMessage extends InboundMessage {
  readonly outcomes: Outcome[];
  workingCalls: number;
}

/** Builds a fake message carrying `data` on `subject`. */
export function fakeMessage(
  data: Uint8Array,
  opts: { subject?: string; seq?: number; deliveryCount?: number; headers?: Record<string, string> } = {},
): FakeMessage {
  const outcomes: Outcome[] = [];
  const headers = opts.headers ?? {};
  const msg: FakeMessage = {
    data,
    subject: opts.subject ?? "events.device.telemetry",
    streamSequence: opts.seq ?? 1,
    deliveryCount: opts.deliveryCount ?? 1,
    outcomes,
    workingCalls: 0,
    header: (name) => headers[name],
    ack: () => void outcomes.push({ kind: "ack" }),
    nak: (delayMs) => void outcomes.push({ kind: "nak", delayMs }),
    term: (reason) => void outcomes.push({ kind: "term", reason: reason ?? "" }),
    working: () => {
      msg.workingCalls++;
    },
  };
  return msg;
}

/** Encodes a valid envelope for tests (the shared builder validates it). */
export function envelopeBytes(
  fields: {
    eventId?: string;
    partitionKey?: string;
    sourceSystem?: string;
    payload?: Uint8Array;
    eventMs?: number;
  } = {},
): Uint8Array {
  return encodeEnvelope(
    createEnvelope({
      eventId: fields.eventId ?? uuidv7(),
      eventType: "device.telemetry",
      eventTime: new Date(fields.eventMs ?? Date.now()),
      schemaVersion: "1.0",
      sourceSystem: fields.sourceSystem ?? "plant-a/line-3",
      ...(fields.partitionKey === undefined ? {} : { partitionKey: fields.partitionKey }),
      payload: fields.payload ?? new Uint8Array([1, 2, 3]),
      payloadType: "application/octet-stream",
    }),
  );
}

/** A sink whose sends are settled by the test, one by one. */
export interface ControlledSink extends RecordSink {
  readonly batches: (readonly OutboundRecord[])[];
  /** Settles the oldest unsettled send. */
  succeed(): void;
  fail(err?: Error): void;
  pending(): number;
}

/** Creates a sink that holds every send until the test settles it. */
export function controlledSink(): ControlledSink {
  const batches: (readonly OutboundRecord[])[] = [];
  const waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  return {
    batches,
    send(records) {
      batches.push(records);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    succeed() {
      const w = waiting.shift();
      if (w === undefined) throw new Error("no send pending");
      w.resolve();
    },
    fail(err = new Error("broker unreachable")) {
      const w = waiting.shift();
      if (w === undefined) throw new Error("no send pending");
      w.reject(err);
    },
    pending: () => waiting.length,
  };
}

/** Resolves after pending promise callbacks ran. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
