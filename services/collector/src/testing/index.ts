/**
 * Test helpers of the collector (`@langtian/collector/testing`): an isolated configuration
 * (own stream, subjects and spool), stream and metric reads. For tests and benchmarks;
 * production code never imports this subpath.
 */
export * from "./test-helpers.ts";
