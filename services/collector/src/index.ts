/**
 * @langtian/collector: devices' UDP datagrams and pushed events into JetStream. Exported
 * for sites that add their own decoders, for the stack, and the stages benchmarks measure
 * alone (`bench/collector`).
 */
export { type CollectorApp, type CollectorDeps, createApp } from "./app.ts";
export {
  type CollectorConfig,
  collectorConfigSchema,
  type ListenerConfig,
  loadCollectorConfig,
  parseListeners,
} from "./config.ts";
export {
  createDefaultDecoders,
  type DecodedEvent,
  DecodeError,
  type Decoder,
  DecoderRegistry,
} from "./decoders/index.ts";
export { type DeviceFrame, decodeDeviceFrame, encodeDeviceFrame, type Reading } from "./device-frame.ts";
export { buildEnvelope, type EnvelopeDefaults } from "./envelope-builder.ts";
export { type KernelUdpStats, readKernelUdpStats } from "./kernel-udp-stats.ts";
export type { OutboundEvent } from "./outbound-event.ts";
export { createJetStreamTarget, type PublishTarget } from "./publish-target.ts";
export { DEVICE_FORMATS, type DeviceFormat, encodeDeviceMessage } from "./simulator/device-messages.ts";
export { runSimulator, type SimulatorOptions, type SimulatorReport } from "./simulator/device-simulator.ts";
export { type EventStreamSettings, ensureStream } from "./stream-provisioner.ts";
