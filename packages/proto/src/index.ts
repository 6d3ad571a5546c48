/**
 * Generated protobuf contracts of Langtian EDA (protoc-gen-es, never edited by hand).
 * Regenerate with `npm run proto:generate`; `npm test` fails when the committed code is stale.
 */
export * from "./gen/langtian/admin/v1/admin_pb.js";
export * from "./gen/langtian/bridge/v1/bridge_pb.js";
export * from "./gen/langtian/collector/v1/collector_pb.js";
export * from "./gen/langtian/device/v1/alarm_pb.js";
export * from "./gen/langtian/device/v1/status_pb.js";
export * from "./gen/langtian/device/v1/telemetry_pb.js";
export * from "./gen/langtian/envelope/v1/envelope_pb.js";
export * from "./gen/langtian/lakewriter/v1/lake_writer_pb.js";
export * from "./gen/langtian/lifecycle/v1/lifecycle_pb.js";
export * from "./gen/langtian/query/v1/query_pb.js";
