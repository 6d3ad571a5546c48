import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { configFileFromEnv, loadConfig, redactConfig } from "./config.ts";
import { boolean, defineConfigSchema, integer, number, oneOf, string, stringList } from "./config-schema.ts";
import { ConfigError } from "./errors.ts";

const schema = defineConfigSchema("lake-writer", {
  port: integer({ default: 4103, min: 0, max: 65535 }),
  ratio: number({ default: 0.5, min: 0, max: 1 }),
  verbose: boolean({ default: false }),
  mode: oneOf(["fast", "safe"], { default: "safe" }),
  name: string({ optional: true }),
  required: string(),
  password: string({ optional: true, secret: true, minLength: 8 }),
  nats: {
    url: string({ url: true, default: "nats://127.0.0.1:4222" }),
    flushIntervalMs: integer({ default: 100, min: 1 }),
    subjects: stringList({ default: ["events.>"] }),
  },
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "service-kit-config-"));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function issuesOf(fn: () => unknown): ConfigError["issues"] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail("expected a ConfigError");
}

describe("loadConfig", () => {
  it("derives env names as LANGTIAN_<SERVICE>_<PATH> in UPPER_SNAKE and uses defaults otherwise", () => {
    const config = loadConfig(schema, {
      LANGTIAN_LAKE_WRITER_REQUIRED: "x",
      LANGTIAN_LAKE_WRITER_NATS_FLUSH_INTERVAL_MS: "250",
    });
    assert.deepEqual(config, {
      port: 4103,
      ratio: 0.5,
      verbose: false,
      mode: "safe",
      name: undefined,
      required: "x",
      password: undefined,
      nats: { url: "nats://127.0.0.1:4222", flushIntervalMs: 250, subjects: ["events.>"] },
    });
  });

  it("coerces env strings: numbers, booleans in several spellings, comma-separated lists", () => {
    const config = loadConfig(schema, {
      LANGTIAN_LAKE_WRITER_REQUIRED: "x",
      LANGTIAN_LAKE_WRITER_RATIO: "0.25",
      LANGTIAN_LAKE_WRITER_VERBOSE: "YES",
      LANGTIAN_LAKE_WRITER_NATS_SUBJECTS: " a.> , b.* ,, ",
    });
    assert.equal(config.ratio, 0.25);
    assert.equal(config.verbose, true);
    assert.deepEqual(config.nats.subjects, ["a.>", "b.*"]);
    assert.equal(
      loadConfig(schema, { LANGTIAN_LAKE_WRITER_REQUIRED: "x", LANGTIAN_LAKE_WRITER_VERBOSE: "off" }).verbose,
      false,
    );
  });

  it("lets env override the file and the file override defaults", () => {
    const config = loadConfig(
      schema,
      { LANGTIAN_LAKE_WRITER_PORT: "5000" },
      { port: 4000, required: "from-file", nats: { flushIntervalMs: 7 } },
    );
    assert.equal(config.port, 5000);
    assert.equal(config.required, "from-file");
    assert.equal(config.nats.flushIntervalMs, 7);
    assert.equal(config.nats.url, "nats://127.0.0.1:4222");
  });

  it("treats empty env values as unset", () => {
    const config = loadConfig(schema, { LANGTIAN_LAKE_WRITER_PORT: "", LANGTIAN_LAKE_WRITER_REQUIRED: "x" });
    assert.equal(config.port, 4103);
  });

  it("returns a deeply frozen object", () => {
    const config = loadConfig(schema, { LANGTIAN_LAKE_WRITER_REQUIRED: "x" });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.nats));
    assert.ok(Object.isFrozen(config.nats.subjects));
    assert.throws(() => {
      (config.nats as { flushIntervalMs: number }).flushIntervalMs = 1;
    }, TypeError);
  });

  it("lists every problem at once with path, source, expected and got", () => {
    const issues = issuesOf(() =>
      loadConfig(
        schema,
        {
          LANGTIAN_LAKE_WRITER_PORT: "70000",
          LANGTIAN_LAKE_WRITER_VERBOSE: "maybe",
          LANGTIAN_LAKE_WRITER_NATS_URLL: "typo",
        },
        { mode: "turbo", ratio: "0.5", nats: { url: "not a url", extra: 1 }, unknown: true },
      ),
    );
    assert.deepEqual(issues, [
      {
        path: "port",
        source: "env LANGTIAN_LAKE_WRITER_PORT",
        expected: "an integer between 0 and 65535",
        got: "70000",
      },
      { path: "ratio", source: "file", expected: "a number between 0 and 1", got: '"0.5"' },
      {
        path: "verbose",
        source: "env LANGTIAN_LAKE_WRITER_VERBOSE",
        expected: "a boolean (true/false, 1/0, yes/no, on/off)",
        got: '"maybe"',
      },
      { path: "mode", source: "file", expected: 'one of "fast", "safe"', got: '"turbo"' },
      { path: "required", source: "missing", expected: "a string", got: "nothing" },
      { path: "nats.url", source: "file", expected: "an absolute URL", got: '"not a url"' },
      {
        path: "LANGTIAN_LAKE_WRITER_NATS_URLL",
        source: "env",
        expected: "no unknown variables with this prefix",
        got: "a value",
      },
      { path: "nats.extra", source: "file", expected: "no unknown keys", got: "an unknown key" },
      { path: "unknown", source: "file", expected: "no unknown keys", got: "an unknown key" },
    ]);
  });

  it("never prints a secret value, in issues or in the message", () => {
    let message = "";
    const issues = issuesOf(() => {
      try {
        loadConfig(schema, { LANGTIAN_LAKE_WRITER_REQUIRED: "x", LANGTIAN_LAKE_WRITER_PASSWORD: "hunter2" });
      } catch (err) {
        message = (err as Error).message;
        throw err;
      }
    });
    assert.deepEqual(issues, [
      {
        path: "password",
        source: "env LANGTIAN_LAKE_WRITER_PASSWORD",
        expected: "a string of at least 8 characters",
        got: "[redacted] string",
      },
    ]);
    assert.doesNotMatch(message, /hunter2/);
    assert.match(message, /invalid configuration for lake-writer \(1 problem\)/);
  });

  it("reads JSON and YAML files by path", () => {
    const json = tempFile("c.json", JSON.stringify({ required: "j", nats: { subjects: ["x"] } }));
    const yaml = tempFile("c.yaml", "required: y\nverbose: true\nnats:\n  flushIntervalMs: 9\n");
    assert.deepEqual(loadConfig(schema, {}, json).nats.subjects, ["x"]);
    const fromYaml = loadConfig(schema, {}, yaml);
    assert.equal(fromYaml.required, "y");
    assert.equal(fromYaml.verbose, true);
    assert.equal(fromYaml.nats.flushIntervalMs, 9);
  });

  it("reports an unreadable or malformed file as a problem alongside the others", () => {
    const broken = tempFile("c.json", '{ "password": "hunter2hunter2" ');
    const issues = issuesOf(() => loadConfig(schema, {}, broken));
    assert.equal(issues.length, 2);
    assert.equal(issues[0]?.path, "(file)");
    assert.equal(issues[0]?.expected, "valid JSON or YAML");
    assert.match(issues[0]?.got ?? "", /^a syntax error/);
    assert.doesNotMatch(
      issues[0]?.got ?? "",
      /hunter2/,
      "parser messages may quote the file; they are not shown",
    );
    const brokenYaml = tempFile("c.yaml", "password: [hunter2hunter2\n");
    const yamlIssues = issuesOf(() => loadConfig(schema, { LANGTIAN_LAKE_WRITER_REQUIRED: "x" }, brokenYaml));
    assert.match(yamlIssues[0]?.got ?? "", /^a syntax error at line \d+, column \d+$/);
    assert.equal(issues[1]?.path, "required");
    const missing = issuesOf(() =>
      loadConfig(schema, { LANGTIAN_LAKE_WRITER_REQUIRED: "x" }, "/nonexistent/c.yaml"),
    );
    assert.equal(missing[0]?.expected, "a readable file");
  });

  it("allows the CONFIG_FILE variable and finds the file through it", () => {
    const env = { LANGTIAN_LAKE_WRITER_REQUIRED: "x", LANGTIAN_LAKE_WRITER_CONFIG_FILE: "/etc/lw.yaml" };
    assert.equal(loadConfig(schema, env).required, "x");
    assert.equal(configFileFromEnv(schema, env), "/etc/lw.yaml");
    assert.equal(configFileFromEnv(schema, {}), undefined);
  });

  it("honours a field's explicit env name", () => {
    const s = defineConfigSchema("x", { token: string({ env: "MY_TOKEN" }) });
    assert.equal(loadConfig(s, { MY_TOKEN: "t" }).token, "t");
  });

  it("adds cross-field issues once every field is valid, and skips them while fields are not", () => {
    const env = { LANGTIAN_LAKE_WRITER_REQUIRED: "x", LANGTIAN_LAKE_WRITER_MODE: "fast" };
    const fastNeedsName = (c: { mode: string; name?: string | undefined }) =>
      c.mode === "fast" && !c.name
        ? [{ path: "name", source: "config" as const, expected: "a name in fast mode", got: "nothing" }]
        : [];
    assert.throws(
      () => loadConfig(schema, env, undefined, fastNeedsName),
      (err: unknown) => err instanceof ConfigError && err.issues.map((i) => i.path).join() === "name",
    );
    const named = loadConfig(schema, { ...env, LANGTIAN_LAKE_WRITER_NAME: "n" }, undefined, fastNeedsName);
    assert.equal(named.name, "n");
    let called = false;
    assert.throws(
      () =>
        loadConfig(schema, { LANGTIAN_LAKE_WRITER_MODE: "fast" }, undefined, () => {
          called = true;
          return [];
        }),
      ConfigError,
    );
    assert.equal(called, false, "cross checks see only a config whose fields are all valid");
  });

  it("redactConfig replaces secret values for logging", () => {
    const config = loadConfig(schema, {
      LANGTIAN_LAKE_WRITER_REQUIRED: "x",
      LANGTIAN_LAKE_WRITER_PASSWORD: "longsecret",
    });
    const safe = redactConfig(schema, config) as Record<string, unknown>;
    assert.equal(safe.password, "[redacted]");
    assert.equal(config.password, "longsecret");
  });
});
