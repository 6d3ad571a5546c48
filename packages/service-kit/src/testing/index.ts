/**
 * Test helpers of the service kit (`@langtian/service-kit/testing`): probes of a service's
 * RPC edge shared by every service's tests.
 */
export type { GarbageOptions, GarbageProbe } from "./edge-garbage.ts";
export { probeEdgeWithGarbage } from "./edge-garbage.ts";
export type { UnboundedBodyOptions, UnboundedBodyResult } from "./unbounded-body.ts";
export { sendUnboundedBody } from "./unbounded-body.ts";
