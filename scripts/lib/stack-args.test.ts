import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackArgs, StackUsageError, stackFlags, stackUsage, Topology } from "./stack-args.ts";

describe("stack arguments", () => {
  it("starts the default topology, in the foreground, with no flag", () => {
    assert.deepEqual(parseStackArgs([], {}), {
      topology: Topology.default,
      smoke: false,
      hold: false,
      noInstall: false,
      verbose: false,
      help: false,
    });
  });

  it("takes --ha and --direct as topologies, and refuses both at once", () => {
    assert.equal(parseStackArgs(["--ha"], {}).topology, Topology.ha);
    assert.equal(parseStackArgs(["--direct", "--smoke"], {}).topology, Topology.direct);
    assert.throws(() => parseStackArgs(["--ha", "--direct"], {}), /choose one/);
  });

  it("reads --smoke, --hold, --no-install and --verbose, and their environment forms", () => {
    const args = parseStackArgs(["--smoke", "--hold", "--no-install", "--verbose", "--json-logs"], {});
    assert.equal(args.smoke, true);
    assert.equal(args.hold, true);
    assert.equal(args.noInstall, true);
    assert.equal(args.verbose, true);
    assert.equal(parseStackArgs([], { LANGTIAN_STACK_SMOKE: "1" }).smoke, true);
    assert.equal(parseStackArgs([], { LANGTIAN_STACK_DEBUG: "1" }).verbose, true);
    assert.throws(() => parseStackArgs(["--hold"], {}), /--hold only applies with --smoke/);
  });

  it("rejects an unknown flag with the list of valid ones", () => {
    assert.throws(
      () => parseStackArgs(["--smoke", "--hq"], {}),
      (err: unknown) =>
        err instanceof StackUsageError &&
        err.message.startsWith("unknown argument --hq; valid flags: ") &&
        Object.keys(stackFlags).every((flag) => err.message.includes(flag)),
    );
    assert.throws(() => parseStackArgs(["smoke"], {}), /unknown argument smoke/);
  });

  it("prints every flag in its usage, with --help and -h", () => {
    assert.equal(parseStackArgs(["--help"], {}).help, true);
    assert.equal(parseStackArgs(["-h"], {}).help, true);
    for (const flag of Object.keys(stackFlags)) assert.match(stackUsage(), new RegExp(`^  ${flag} `, "m"));
  });
});
