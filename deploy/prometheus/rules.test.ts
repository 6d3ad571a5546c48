import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type PrometheusInstall, provisionPrometheus } from "@langtian/provision";
import { alertRules, operationsAnchors, ruleTestCases } from "../testing/rule-files.ts";

const here = import.meta.dirname;
const run = promisify(execFile);

/** Runs promtool in this folder; resolves with its output, rejects with it on a non-zero exit. */
async function promtool(install: PrometheusInstall, ...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(install.promtool, args, { cwd: here });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    assert.fail(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

describe("Prometheus alert rules (deploy/prometheus)", () => {
  let install: PrometheusInstall;
  before(async () => {
    install = await provisionPrometheus();
  });

  it("pass promtool check rules", async () => {
    const out = await promtool(install, "check", "rules", "langtian-alerts.yml");
    assert.match(out, /SUCCESS: \d+ rules found/);
  });

  it("are loaded by the example prometheus.yml, which passes promtool check config", async () => {
    const out = await promtool(install, "check", "config", "prometheus.yml");
    assert.match(out, /SUCCESS: 1 rule files found/);
  });

  it("pass their unit tests (promtool test rules)", async () => {
    const out = await promtool(install, "test", "rules", "rules_test.yml");
    assert.match(out, /SUCCESS/);
  });

  it("each have a unit test where they fire and one where they stay quiet", () => {
    const cases = ruleTestCases(readFileSync(join(here, "rules_test.yml"), "utf8"));
    for (const rule of alertRules(readFileSync(join(here, "langtian-alerts.yml"), "utf8"))) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      assert.ok(
        mine.some((c) => c.fires),
        `${rule.alert}: no test in rules_test.yml expects it to fire`,
      );
      assert.ok(
        mine.some((c) => !c.fires),
        `${rule.alert}: no test in rules_test.yml expects it not to fire`,
      );
    }
  });

  it("each carry a summary, a description and a runbook section that docs/OPERATIONS.md has", () => {
    const anchors = operationsAnchors(readFileSync(join(here, "..", "..", "docs", "OPERATIONS.md"), "utf8"));
    const rules = alertRules(readFileSync(join(here, "langtian-alerts.yml"), "utf8"));
    assert.ok(rules.length >= 20, `only ${rules.length} alerts parsed`);
    for (const rule of rules) {
      assert.ok(rule.annotations.has("summary"), `${rule.alert} has no summary`);
      assert.ok(rule.annotations.has("description"), `${rule.alert} has no description`);
      const runbook = rule.annotations.get("runbook") ?? "";
      const match = /^docs\/OPERATIONS\.md#([a-z0-9-]+)$/.exec(runbook);
      assert.ok(
        match?.[1],
        `${rule.alert}: runbook ${JSON.stringify(runbook)} is not docs/OPERATIONS.md#<section>`,
      );
      assert.ok(anchors.has(match[1]), `${rule.alert}: docs/OPERATIONS.md has no section #${match[1]}`);
    }
  });
});
