/**
 * Test helpers of the lake writer (`@langtian/lake-writer/testing`): test events produced to
 * Kafka, and a throwaway lake in a temporary folder. For tests and benchmarks; production
 * code never imports this subpath.
 */
export { createTopic, produce, telemetryBatch, telemetryEvents } from "./test-events.ts";
export { openTestLake, queryNumber, type TestLake, waitForNumber } from "./test-lake.ts";
