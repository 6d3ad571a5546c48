import type { Value } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { ExportFormat, type QueryService } from "@langtian/proto";

/** Formats the console exports, with their file extension and media type. */
export const SQL_EXPORT_FORMATS = [
  { format: ExportFormat.CSV, label: "CSV", ext: "csv", type: "text/csv" },
  { format: ExportFormat.NDJSON, label: "NDJSON", ext: "ndjson", type: "application/x-ndjson" },
  { format: ExportFormat.PARQUET, label: "Parquet", ext: "parquet", type: "application/vnd.apache.parquet" },
] as const;

/** One of {@link SQL_EXPORT_FORMATS}. */
export type SqlExportFormat = (typeof SQL_EXPORT_FORMATS)[number];

/**
 * Exports the whole result of `sql` through QueryService.Export (the server's export limit, not
 * the console's max rows), gathering the streamed chunks into a Blob.
 */
export async function exportSql(
  client: Client<typeof QueryService>,
  sql: string,
  params: Record<string, Value>,
  format: SqlExportFormat,
  signal: AbortSignal,
  onBytes: (bytes: number) => void,
): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let bytes = 0;
  for await (const chunk of client.export(
    { source: { case: "sql", value: { sql, params } }, format: format.format },
    { signal },
  )) {
    parts.push(new Uint8Array(chunk.data));
    bytes += chunk.data.byteLength;
    onBytes(bytes);
  }
  return new Blob(parts, { type: format.type });
}

/** Offers `blob` to the user as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // After the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
