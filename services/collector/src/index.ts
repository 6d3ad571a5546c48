/**
 * @langtian/collector: devices' UDP datagrams and pushed events into JetStream. Exported
 * for sites that add their own decoders and for tests, benchmarks and the stack.
 */
export { type CollectorApp, type CollectorDeps, createApp } from "./app.ts";
export { type CollectorConfig, configSchema, type ListenerConfig, parseListeners } from "./config.ts";
export {
  createDefaultDecoders,
  type DecodedEvent,
  DecodeError,
  type Decoder,
  DecoderRegistry,
} from "./decoders/index.ts";
export { type DeviceFrame, decodeDeviceFrame, encodeDeviceFrame, type Reading } from "./device-frame.ts";
export { DEVICE_FORMATS, type DeviceFormat, encodeDeviceMessage } from "./simulator/device-messages.ts";
export { runSimulator, type SimulatorOptions, type SimulatorReport } from "./simulator/device-simulator.ts";
