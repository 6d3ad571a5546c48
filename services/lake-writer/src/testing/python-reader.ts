import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { provisionPython } from "@langtian/testing";

const execFileAsync = promisify(execFile);

/**
 * The reader no one here wrote: the official DuckDB Python package with the same signed
 * ducklake extension file, attaching the lake read-only. Values it cannot put in JSON as they
 * are (big integers, timestamps) come back as strings.
 */
const READER = `
import duckdb, json, sys
ext, catalog, data, sql = sys.argv[1:5]
con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
con.execute(f"LOAD '{ext}'")
con.execute(f"ATTACH 'ducklake:{catalog}' AS lake (DATA_PATH '{data}', READ_ONLY)")
print(json.dumps(con.execute(sql).fetchall(), default=str))
`;

/**
 * Runs `sql` over a lake with a DuckDB-file catalog in the official DuckDB Python package and
 * returns its rows. The catalog admits one process at a time: close every writer first.
 */
export async function queryLakeWithPython(
  catalogPath: string,
  dataPath: string,
  sql: string,
): Promise<unknown[][]> {
  const { python } = await provisionPython();
  const extensions = await provisionDuckdbExtensions();
  const { stdout } = await execFileAsync(
    python,
    ["-c", READER, extensions.files.ducklake, catalogPath, dataPath, sql],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as unknown[][];
}
