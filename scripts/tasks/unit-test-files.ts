/**
 * The unit tier: test files that start no server and touch no provisioned tool (no
 * nats-server, Kafka, PostgreSQL, SeaweedFS, Python venv, DuckDB extensions, network).
 * `npm run test:unit` runs exactly these, with `LANGTIAN_TEST_TIER=unit` so any attempt to
 * provision or start a server throws: a file wrongly listed here fails instead of quietly
 * slowing the tier down, and a listed path that no longer exists fails the run too.
 * Every other test file is an integration test; `npm test` runs both tiers.
 *
 * Add a new test file here when it needs nothing but Node (in-memory DuckDB counts).
 */
export const unitTestFiles: readonly string[] = [
  "packages/errors/src/langtian-error.test.ts",
  "packages/envelope/src/create-envelope.test.ts",
  "packages/envelope/src/decode-envelope.test.ts",
  "packages/envelope/src/encode-envelope.test.ts",
  "packages/envelope/src/event-headers.test.ts",
  "packages/envelope/src/payload-registry.test.ts",
  "packages/envelope/src/uuid.test.ts",
  "packages/envelope/src/validate-envelope.test.ts",
  "packages/provision/src/install-dir.test.ts",
  "packages/provision/src/test-tier.test.ts",
  "packages/service-kit/src/auth.test.ts",
  "packages/service-kit/src/config-schema.test.ts",
  "packages/service-kit/src/config.test.ts",
  "packages/service-kit/src/errors.test.ts",
  "packages/service-kit/src/health.test.ts",
  "packages/service-kit/src/lifecycle.test.ts",
  "packages/service-kit/src/logger.test.ts",
  "packages/service-kit/src/metrics.test.ts",
  "packages/service-kit/src/rate-limited-log.test.ts",
  "packages/service-kit/src/service-app.test.ts",
  "packages/testing/src/faults/freeze-folder.test.ts",
  "packages/testing/src/launch/node-service.test.ts",
  "scripts/tasks/import-boundaries.test.ts",
  "scripts/tasks/proto.test.ts",
  "services/bridge/src/ack-subject.test.ts",
  "services/bridge/src/config.test.ts",
  "services/bridge/src/event-metadata.test.ts",
  "services/bridge/src/jetstream-source.test.ts",
  "services/bridge/src/mapping.test.ts",
  "services/bridge/src/nats-header-block.test.ts",
  "services/bridge/src/pipeline.test.ts",
  "services/bridge/src/record-batch-encoding.test.ts",
  "services/collector/src/collector-health.test.ts",
  "services/collector/src/config.test.ts",
  "services/collector/src/decoders/decoders.test.ts",
  "services/collector/src/delivery.test.ts",
  "services/collector/src/device-frame.test.ts",
  "services/collector/src/envelope-builder.test.ts",
  "services/collector/src/ingest-access.test.ts",
  "services/collector/src/outbound-event.test.ts",
  "services/collector/src/rejection-log.test.ts",
  "services/collector/src/simulator/device-messages.test.ts",
  "services/collector/src/spool.test.ts",
  "packages/service-kit/src/token-bucket.test.ts",
  "services/lake-writer/src/config.test.ts",
  "services/lake-writer/src/kafka/kafka-fetch.test.ts",
  "services/lake-writer/src/lake/extension-files.test.ts",
  "services/lake-writer/src/lake/stage-rows.test.ts",
  "services/lake-writer/src/tables/event-tables.test.ts",
  "services/lake-writer/src/tables/payload-decoder.test.ts",
];
