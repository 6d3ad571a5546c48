import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type CatalogConfig, catalogUri } from "@langtian/lake";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { provisionPython } from "@langtian/testing";

const execFileAsync = promisify(execFile);

/**
 * The reader no one here wrote: the official DuckDB Python package with the same signed
 * extension files, attaching the lake read-only. Values it cannot put in JSON as they are
 * (big integers, timestamps) come back as strings.
 */
const READER = `
import duckdb, json, sys
extensions, uri, data, sql = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
for ext in extensions.split("\\n"):
    con.execute(f"LOAD '{ext}'")
con.execute(f"ATTACH '{uri}' AS lake (DATA_PATH '{data}', READ_ONLY)")
print(json.dumps(con.execute(sql).fetchall(), default=str))
`;

/**
 * Runs `sql` over a local lake (DuckDB-file or SQLite catalog) in the official DuckDB Python
 * package and returns its rows. A DuckDB-file catalog admits one process at a time: close
 * every writer first.
 */
export async function queryLakeWithPython(
  catalog: CatalogConfig,
  dataPath: string,
  sql: string,
): Promise<unknown[][]> {
  const { python } = await provisionPython();
  const extensions = await provisionDuckdbExtensions();
  const load = [extensions.files.ducklake];
  if (catalog.kind === "sqlite") load.push(extensions.files.sqlite_scanner);
  if (catalog.kind === "postgres") load.push(extensions.files.postgres_scanner);
  const { stdout } = await execFileAsync(
    python,
    ["-c", READER, load.join("\n"), catalogUri(catalog), dataPath, sql],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as unknown[][];
}
