import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDeployment } from "./deployment.ts";

describe("deployment model", () => {
  it("parses name=stage@endpoint entries", () => {
    const { instances, issues } = parseDeployment([
      "collector-1=collector@http://10.0.0.4:4101",
      "bridge-1=bridge@http://10.0.0.5:4102/",
      "lw-1=lake-writer@https://lake.example:4103",
    ]);
    assert.deepEqual(issues, []);
    assert.deepEqual(instances, [
      { name: "collector-1", stage: "collector", endpoint: "http://10.0.0.4:4101" },
      { name: "bridge-1", stage: "bridge", endpoint: "http://10.0.0.5:4102" },
      { name: "lw-1", stage: "lake-writer", endpoint: "https://lake.example:4103" },
    ]);
  });

  it("reports every bad entry with what was expected", () => {
    const { issues } = parseDeployment([
      "no-stage@http://x:1",
      "a=router@http://x:1",
      "b=bridge@ftp://x:1",
      "c=bridge@http://x:1",
      "c=bridge@http://y:1",
    ]);
    assert.deepEqual(
      issues.map((i) => [i.path, i.expected]),
      [
        ["deployment.instances[0]", '"name=stage@http://host:port"'],
        ["deployment.instances[1]", "a stage: collector, bridge, lake-writer, query-api, admin"],
        ["deployment.instances[2]", '"name=stage@http://host:port"'],
        ["deployment.instances[4]", "a unique instance name"],
      ],
    );
  });
});
