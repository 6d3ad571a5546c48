import { lakeConfigFields, lakeConfigIssues } from "@langtian/lake";
import {
  accessFields,
  type ConfigFile,
  type ConfigIssue,
  defineConfigSchema,
  type Env,
  type InferConfig,
  integer,
  loadConfig,
  parseApiKeys,
  serviceFields,
  string,
} from "@langtian/service-kit";
import { ROLES } from "./access/roles.ts";

/**
 * The query API's configuration schema. Env vars are `LANGTIAN_QUERY_API_<PATH>`, e.g.
 * `LANGTIAN_QUERY_API_LAKE_CATALOG_PATH`, `LANGTIAN_QUERY_API_ACCESS_API_KEYS`.
 */
export const queryApiConfigSchema = defineConfigSchema("query-api", {
  ...serviceFields({ port: 4104 }),
  lake: lakeConfigFields(),
  sandbox: {
    tempDir: string({
      default: "./data/query-api/tmp",
      description:
        "The only folder besides the lake's data that DuckDB may touch: spills of large sorts and joins, and Parquet exports while they stream.",
    }),
    threads: integer({ default: 2, min: 1, max: 256, description: "DuckDB worker threads." }),
    memoryLimit: string({
      default: "1GB",
      description: "DuckDB memory limit, e.g. 1GB (beyond it, queries spill or fail).",
    }),
    maxTempSize: string({ default: "4GB", description: "Most bytes DuckDB may spill into sandbox.tempDir." }),
  },
  limits: {
    maxConcurrentQueries: integer({
      default: 8,
      min: 1,
      description: "Statements running at once; more wait (up to their time limit).",
    }),
    sqlTimeoutMs: integer({
      default: 30_000,
      min: 100,
      description: "Default time limit of a statement, in ms.",
    }),
    maxSqlTimeoutMs: integer({
      default: 300_000,
      min: 100,
      description: "Largest time limit a request may ask for, in ms.",
    }),
    maxSqlRows: integer({ default: 100_000, min: 1, description: "Most rows one Sql call returns." }),
    exportTimeoutMs: integer({
      default: 3_600_000,
      min: 1_000,
      description: "Time limit of one export, in ms.",
    }),
  },
  access: accessFields(
    'API keys as "name:secret:role" (role reader or operator; secret at least 16 characters). Empty: only loopback callers, without a key.',
  ),
});

/** The loaded configuration. */
export type QueryApiConfig = InferConfig<typeof queryApiConfigSchema>;

/**
 * Loads and checks the query API configuration (pure: env and file are arguments).
 * @throws ConfigError listing every problem at once.
 */
export function loadQueryApiConfig(env: Env, file?: ConfigFile): QueryApiConfig {
  return loadConfig(queryApiConfigSchema, env, file, queryApiChecks);
}

function queryApiChecks(config: QueryApiConfig): ConfigIssue[] {
  const issues = lakeConfigIssues(config.lake);
  issues.push(...parseApiKeys(config.access.apiKeys, ROLES).issues);
  if (config.limits.sqlTimeoutMs > config.limits.maxSqlTimeoutMs) {
    issues.push({
      path: "limits.sqlTimeoutMs",
      source: "config",
      expected: `at most limits.maxSqlTimeoutMs (${config.limits.maxSqlTimeoutMs})`,
      got: String(config.limits.sqlTimeoutMs),
    });
  }
  return issues;
}
