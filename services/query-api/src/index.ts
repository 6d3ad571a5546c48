/**
 * @langtian/query-api: reads the lake for other systems and the UI — browse, event lookup
 * with lineage, aggregates, read-only SQL, time travel, change feed, export — confined to the
 * lake. Test helpers are the `./testing` subpath.
 */
export { createApp, type QueryApiApp, type QueryApiDeps } from "./app.ts";
export { loadQueryApiConfig, type QueryApiConfig, queryApiConfigSchema } from "./config.ts";
export {
  type ConfinedLake,
  ConfinementError,
  openConfinedLake,
  type SandboxSettings,
} from "./lake/confined-lake.ts";
export { checkReadOnlyStatement, StatementRejectedError } from "./sql/statement-guard.ts";
