import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { BridgeService, type GetBridgeStateResponse, GetBridgeStateResponseSchema } from "@langtian/proto";
import type { BridgeConfig } from "./config.ts";
import type { AppliedConnectorConfig } from "./connector-config-watch.ts";

/** What this instance is doing now; read on every request. */
export interface BridgeRuntimeState {
  /** Whether the bound consumer is in ordered mode (false before start). */
  readonly ordered: boolean;
  /** Whether this instance bridges now (pinned in ordered mode, started in shared mode). */
  readonly active: boolean;
  /** Messages held now, not yet acked. */
  readonly inFlight: number;
  /** The routing in effect (the shared connector configuration's when watched); else the config's. */
  readonly routing?: AppliedConnectorConfig;
}

/** What the bridge's routes need. */
export interface BridgeRouteDeps {
  readonly config: BridgeConfig;
  readonly state: () => BridgeRuntimeState;
}

/** The answer of `GetBridgeState`: the configured consumer and routing plus the live state. */
export function bridgeState(deps: BridgeRouteDeps): GetBridgeStateResponse {
  const { config } = deps;
  const now = deps.state();
  return create(GetBridgeStateResponseSchema, {
    stream: config.nats.stream,
    durable: config.nats.durable,
    ordered: now.ordered,
    active: now.active,
    inFlight: now.inFlight,
    topicRules: (now.routing?.rules ?? config.topicRules).map((r) => ({
      subjectPattern: r.subject,
      topic: r.topic,
    })),
    defaultTopic: now.routing?.defaultTopic ?? config.topics.defaultTopic,
    deadLetterTopic: now.routing?.deadLetterTopic ?? config.topics.deadLetterTopic,
    connectorConfigRevision: BigInt(now.routing?.revision ?? 0),
  });
}

/**
 * Connect routes: `langtian.bridge.v1.BridgeService`, the bridge's own RPCs (read-only, so no
 * operator credential; LifecycleService is added by the service kit).
 */
export function bridgeRoutes(deps: BridgeRouteDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(BridgeService, {
      getBridgeState: () => bridgeState(deps),
    });
  };
}
