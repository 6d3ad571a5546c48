/**
 * Test helpers of the query API (`@langtian/query-api/testing`): a lake written by a real lake
 * writer from real Kafka, with a query API configuration on it. For tests and benchmarks;
 * production code never imports this subpath.
 */
export { FIRST_EVENT_MS, type WrittenLakeOptions, waitForCommitted } from "@langtian/testing";
export { startWrittenLake, type WrittenLake } from "./written-lake.ts";
