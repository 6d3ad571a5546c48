/**
 * Test helpers of the query API (`@langtian/query-api/testing`): a lake written by a real lake
 * writer from real Kafka. For tests and benchmarks; production code never imports this subpath.
 */
export { FIRST_EVENT_MS, startWrittenLake, type WrittenLake, waitForCommitted } from "./written-lake.ts";
