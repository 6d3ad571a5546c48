import { defaultDuckdbExtensionDir } from "@langtian/provision";
import { boolean, type ConfigIssue, type InferConfig, oneOf, string } from "@langtian/service-kit";
import type { LakeConfig } from "./lake-config.ts";

/**
 * The `lake` section every service that attaches the lake puts in its config schema
 * (`lake: lakeConfigFields()`), so the lake writer and the query API read the same settings
 * under the same names. SQLite is the default catalog: several local processes share it (the
 * writer writes while the query API reads); a DuckDB-file catalog admits one process.
 */
export function lakeConfigFields() {
  return {
    catalog: oneOf(["sqlite", "duckdb", "postgres"], {
      default: "sqlite",
      description:
        "Catalog kind: sqlite (several local processes: the writer and readers), duckdb (one process only), postgres (several hosts).",
    }),
    catalogPath: string({
      default: "./data/lake/catalog.sqlite",
      description: "Catalog file for the sqlite and duckdb kinds.",
    }),
    postgresDsn: string({
      optional: true,
      secret: true,
      description:
        'libpq connection string of the postgres catalog, e.g. "host=db port=5432 dbname=lake user=lw".',
    }),
    dataPath: string({
      default: "./data/lake/data",
      description: "Folder or s3://bucket/prefix/ holding the Parquet files.",
    }),
    extensionDir: string({
      default: defaultDuckdbExtensionDir(),
      description:
        "DuckDB extension directory holding v1.5.5/<platform>/{ducklake,httpfs,sqlite_scanner,postgres_scanner}.duckdb_extension; nothing is ever downloaded and the service fails to start when one is missing. Default: where `npm run provision` puts them.",
    }),
    s3: {
      endpoint: string({ default: "", description: "S3 endpoint host:port for s3:// data paths." }),
      accessKeyId: string({ default: "", description: "S3 access key id." }),
      secretAccessKey: string({ default: "", secret: true, description: "S3 secret access key." }),
      region: string({ default: "us-east-1", description: "S3 region." }),
      useSsl: boolean({ default: false, description: "Use https to reach the S3 endpoint." }),
      urlStyle: oneOf(["path", "vhost"], { default: "path", description: "S3 addressing style." }),
    },
  };
}

/** The loaded `lake` section. */
export type LakeSettings = InferConfig<ReturnType<typeof lakeConfigFields>>;

/** Rules that span several lake fields (a DSN for postgres, credentials for s3://). */
export function lakeConfigIssues(lake: LakeSettings, path = "lake"): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (lake.catalog === "postgres" && !lake.postgresDsn) {
    issues.push({
      path: `${path}.postgresDsn`,
      source: "config",
      expected: "a libpq DSN for the postgres catalog",
      got: "nothing",
    });
  }
  if (lake.dataPath.startsWith("s3://")) {
    for (const key of ["endpoint", "accessKeyId", "secretAccessKey"] as const) {
      if (!lake.s3[key]) {
        issues.push({
          path: `${path}.s3.${key}`,
          source: "config",
          expected: "a value for an s3:// data path",
          got: "nothing",
        });
      }
    }
  }
  return issues;
}

/** The {@link LakeConfig} `attachLake` takes, from the loaded `lake` section. */
export function lakeConfigFrom(lake: LakeSettings): LakeConfig {
  const catalog: LakeConfig["catalog"] =
    lake.catalog === "postgres"
      ? { kind: "postgres", dsn: lake.postgresDsn ?? "" }
      : { kind: lake.catalog, path: lake.catalogPath };
  return {
    catalog,
    dataPath: lake.dataPath,
    ...(lake.dataPath.startsWith("s3://") && {
      s3: {
        endpoint: lake.s3.endpoint,
        accessKeyId: lake.s3.accessKeyId,
        secretAccessKey: lake.s3.secretAccessKey,
        region: lake.s3.region,
        useSsl: lake.s3.useSsl,
        urlStyle: lake.s3.urlStyle,
      },
    }),
  };
}
