import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/**
 * Plain temp folders for tests of provisioning (this package sits below @langtian/testing and
 * cannot use its tempDir). Called at the top of a test file: returns a maker of fresh folders
 * under the OS temp dir, each removed after that file's tests.
 */
export function tempDirsRemovedAfterTests(): (prefix: string) => string {
  const made: string[] = [];
  after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), `langtian-${prefix}-`));
    made.push(dir);
    return dir;
  };
}
