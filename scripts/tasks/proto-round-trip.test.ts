import { join } from "node:path";
import { before, describe, it } from "node:test";
import { provisionPython, tempDir } from "../../packages/testing/src/index.ts";
import { protocArtifacts } from "./proto.ts";
import { assertPythonReencodes, assertTypescriptDecodesPython } from "./proto-round-trip-support.ts";

describe("envelope wire compatibility between TypeScript and Python (official protobuf runtime)", () => {
  let python = "";
  let generated = "";

  before(async () => {
    python = (await provisionPython()).python;
    generated = join(tempDir("proto-python"), "gen");
    await protocArtifacts({ pythonOut: generated });
  });

  it("Python decodes a TypeScript envelope and its telemetry payload and re-encodes identical bytes", async () => {
    await assertPythonReencodes(python, generated);
  });

  it("TypeScript decodes a Python envelope, finds it valid and re-encodes identical bytes", async () => {
    await assertTypescriptDecodesPython(python, generated);
  });
});
