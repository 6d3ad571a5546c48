/**
 * Test helpers of the lake writer (`@langtian/lake-writer/testing`): test events produced to
 * Kafka, and a throwaway lake in a temporary folder. For tests and benchmarks; production
 * code never imports this subpath.
 */
export { type LakeWriterEnv, type LakeWriterEnvOptions, lakeWriterEnv } from "./lake-writer-env.ts";
export { createTopic, produce, telemetryBatch, telemetryEvents } from "./test-events.ts";
export {
  openTestLake,
  openWritableTestLake,
  queryNumber,
  type TestLake,
  type WritableTestLake,
  waitForNumber,
} from "./test-lake.ts";
