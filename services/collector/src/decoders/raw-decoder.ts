import type { DecodedEvent, Decoder } from "./decoder.ts";

/** Keeps the datagram's bytes as the payload (`application/octet-stream`); never rejects. */
export function createRawDecoder(): Decoder {
  return {
    name: "raw",
    decode(datagram: Uint8Array): DecodedEvent {
      return { payload: datagram, payloadType: "application/octet-stream" };
    },
  };
}
