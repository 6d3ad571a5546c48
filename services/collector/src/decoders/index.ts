import { DecoderRegistry } from "./decoder.ts";
import { createDeviceFrameDecoder } from "./device-frame-decoder.ts";
import { createEnvelopeDecoder } from "./envelope-decoder.ts";
import { createJsonDecoder } from "./json-decoder.ts";
import { createRawDecoder } from "./raw-decoder.ts";

export { type DecodedEvent, DecodeError, type Decoder, DecoderRegistry } from "./decoder.ts";

/** A registry holding the built-in decoders: `json`, `envelope`, `device-frame`, `raw`. */
export function createDefaultDecoders(): DecoderRegistry {
  return new DecoderRegistry()
    .register(createJsonDecoder())
    .register(createEnvelopeDecoder())
    .register(createDeviceFrameDecoder())
    .register(createRawDecoder());
}
