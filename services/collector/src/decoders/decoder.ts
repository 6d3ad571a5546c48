import { ErrorCode, LangtianError } from "@langtian/errors";

/**
 * The decoder interface: a site adds its own device format by implementing {@link Decoder}
 * and registering it in a {@link DecoderRegistry} before the collector starts.
 */

/** What a decoder extracts from one datagram; the envelope builder fills in the rest. */
export interface DecodedEvent {
  /** The encoded payload to carry in the envelope. */
  readonly payload: Uint8Array;
  /** Protobuf message name or media type of {@link payload}. */
  readonly payloadType: string;
  /** Device id, used as partition key and for the deterministic event id. */
  readonly deviceId?: string;
  /** Device sequence number (decimal string, up to 64-bit) for retransmit deduplication. */
  readonly sequence?: string;
  /** Device clock, milliseconds since the epoch, when the device sends one. */
  readonly eventTimeMs?: number;
  /** Overrides the listener's event type when the datagram names its own. */
  readonly eventType?: string;
  /** Overrides the listener's schema version. */
  readonly schemaVersion?: string;
  /** Overrides the listener's source system (smart devices sending whole envelopes). */
  readonly sourceSystem?: string;
  /** An event id chosen by the device itself. */
  readonly eventId?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** Turns one datagram into one event, or throws {@link DecodeError}. */
export interface Decoder {
  /** Registry name used in listener configuration, e.g. "json". */
  readonly name: string;
  decode(datagram: Uint8Array): DecodedEvent;
}

/** A datagram a decoder rejected; `reason` is a short metric label such as "bad_crc". */
export class DecodeError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override readonly name = "DecodeError";
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** Decoders by name; the collector's built-ins are registered by {@link createDefaultDecoders}. */
export class DecoderRegistry {
  readonly #decoders = new Map<string, Decoder>();

  /** Adds a decoder; a second decoder with the same name is a configuration error. */
  register(decoder: Decoder): this {
    if (this.#decoders.has(decoder.name)) throw new Error(`decoder "${decoder.name}" is already registered`);
    this.#decoders.set(decoder.name, decoder);
    return this;
  }

  get(name: string): Decoder | undefined {
    return this.#decoders.get(name);
  }

  names(): string[] {
    return [...this.#decoders.keys()];
  }
}
