/** Where the DuckLake catalog (metadata) lives. */
export type CatalogConfig =
  /** Embedded default: one DuckDB file, one writer process. */
  | { kind: "duckdb"; path: string }
  /** SQLite file: a few local processes. */
  | { kind: "sqlite"; path: string }
  /** PostgreSQL: several writers on several hosts. `dsn` is a libpq connection string. */
  | { kind: "postgres"; dsn: string };

/** Credentials and endpoint of an S3-compatible store, for `s3://` data paths. */
export interface S3Config {
  /** `host:port` of the endpoint (no scheme). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  useSsl: boolean;
  /** `path` for most self-hosted stores, `vhost` for AWS. */
  urlStyle: "path" | "vhost";
}

/** Everything needed to attach one lake. */
export interface LakeConfig {
  catalog: CatalogConfig;
  /** Folder or `s3://bucket/prefix/` where DuckLake writes Parquet files. */
  dataPath: string;
  /** Required when `dataPath` starts with `s3://`. */
  s3?: S3Config;
  /**
   * Rows at or below which an insert is kept inside the catalog instead of a Parquet file;
   * 0 turns inlining off (every insert is a Parquet file). Unset: DuckLake's default (10).
   */
  dataInliningRowLimit?: number;
}
