import { join } from "node:path";
import {
  type WrittenLake as BaseWrittenLake,
  startWrittenLake as startBaseWrittenLake,
  type WrittenLakeOptions,
} from "@langtian/testing";
import { loadQueryApiConfig, type QueryApiConfig } from "../config.ts";

/** A lake written by the real lake writer, and a query API configuration reading it. */
export interface WrittenLake extends BaseWrittenLake {
  /** A query API configuration on this lake (loopback, no keys unless given); overrides merge per section. */
  queryApiConfig(overrides?: Record<string, unknown>): QueryApiConfig;
}

/** {@link startBaseWrittenLake} plus {@link WrittenLake.queryApiConfig}. */
export async function startWrittenLake(
  events: number,
  options: WrittenLakeOptions = {},
): Promise<WrittenLake> {
  const lake = await startBaseWrittenLake(events, options);
  return Object.assign(lake, {
    queryApiConfig(overrides: Record<string, unknown> = {}): QueryApiConfig {
      const file: Record<string, unknown> = {
        port: 0,
        logLevel: "warn",
        lake: lake.lakeSettings(),
        sandbox: { tempDir: join(lake.dir, "query-tmp") },
      };
      for (const [key, value] of Object.entries(overrides)) {
        file[key] =
          typeof value === "object" && value !== null && !Array.isArray(value)
            ? { ...(file[key] as object), ...value }
            : value;
      }
      return loadQueryApiConfig({}, file);
    },
  });
}
