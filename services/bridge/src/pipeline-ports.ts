/**
 * The pipeline's ports: what it reads (a JetStream message), what it writes (a Kafka record),
 * where it writes it and where it logs. Adapters (`jetstream-source.ts`, `kafka-sink.ts`) and
 * the unit tests' fakes implement them.
 */

/** The part of a JetStream message the pipeline uses (nats.js `JsMsg` adapted; fakes in unit tests). */
export interface InboundMessage {
  readonly data: Uint8Array;
  readonly subject: string;
  readonly streamSequence: number;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  header(name: string): string | undefined;
  ack(): void;
  nak(delayMs?: number): void;
  working(): void;
  term(reason?: string): void;
}

/** One Kafka record to write. */
export interface OutboundRecord {
  readonly topic: string;
  readonly key: string | undefined;
  readonly value: Uint8Array | undefined;
  readonly headers: Map<string, string>;
}

/** Writes a batch of records; resolves only once Kafka confirmed every one of them (acks=all). */
export interface RecordSink {
  send(records: readonly OutboundRecord[]): Promise<void>;
}

/** Minimal logger shape (pino-compatible). */
export interface PipelineLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
