import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadAdminConfig } from "../../services/admin/src/config.ts";
import { loadBridgeConfig } from "../../services/bridge/src/config.ts";
import { loadCollectorConfig } from "../../services/collector/src/config.ts";
import { loadLakeWriterConfig } from "../../services/lake-writer/src/config.ts";
import { loadQueryApiConfig } from "../../services/query-api/src/config.ts";
import { commonScriptName, generatedFiles, staleFiles, windowsDir } from "./generate.ts";
import { checkPowerShell, paramNames, scanPowerShell } from "./ps-check.ts";
import { bundleLayout, natsLayouts, nodeServices, upgradeOrder } from "./services.ts";

const repoRoot = join(windowsDir, "..", "..");

/** Every bundle file the scripts may name: the manifest's files, each entry point, each template. */
const bundleFiles = [
  bundleLayout.node,
  bundleLayout.natsServer,
  bundleLayout.shawl,
  bundleLayout.adminCli,
  bundleLayout.workspaceLinks,
  bundleLayout.commonScript,
  ...nodeServices.map((s) => `app\\${s.entry}`),
  ...nodeServices.map((s) => `deploy\\windows\\config\\${s.name}.json`),
];

const scripts = ["install.ps1", "uninstall.ps1", "upgrade.ps1"];

describe("the Windows deployment", () => {
  it("committed files are what `npm run deploy:windows` generates", () => {
    assert.deepEqual(staleFiles(), [], "run `npm run deploy:windows` and commit the result");
  });

  for (const script of scripts) {
    it(`${script} passes the structure checks`, () => {
      const text = generatedFiles().get(script) ?? "";
      assert.deepEqual(checkPowerShell(text, bundleFiles), []);
    });
  }

  it(`${commonScriptName}, which the scripts dot-source, passes the structure checks`, () => {
    const text = generatedFiles().get(commonScriptName) ?? "";
    assert.deepEqual(checkPowerShell(text, bundleFiles, { dotSourced: true }), []);
  });

  it("every app file the bundle names exists in the repository", () => {
    for (const file of [bundleLayout.adminCli, ...nodeServices.map((s) => `app\\${s.entry}`)]) {
      const path = join(repoRoot, ...file.split("\\").slice(1));
      assert.ok(existsSync(path), `${file} (${path}) is missing`);
    }
  });

  it("each config template loads with its service's own config loader", () => {
    const loaders: Record<string, (file: Record<string, unknown>) => unknown> = {
      collector: (file) => loadCollectorConfig({}, file),
      bridge: (file) => loadBridgeConfig({}, file),
      "lake-writer": (file) => loadLakeWriterConfig({}, file),
      "query-api": (file) => loadQueryApiConfig({}, file),
      admin: (file) => loadAdminConfig({}, file),
    };
    for (const service of nodeServices) {
      const template = generatedFiles().get(`config/${service.name}.json`) ?? "";
      // As install.ps1 fills it: JSON-escaped Windows folders.
      const filled = template
        .replaceAll("{{DATA}}", "C:\\\\ProgramData\\\\Langtian")
        .replaceAll("{{BUNDLE}}", `C:\\\\Program Files\\\\Langtian\\\\run\\\\${service.name}`)
        .replaceAll("{{OPERATOR_TOKEN}}", "0123456789abcdef0123456789abcdef")
        .replaceAll("{{INGEST_SECRET}}", "fedcba9876543210fedcba9876543210");
      const loader = loaders[service.name];
      assert.ok(loader, `no loader for ${service.name}`);
      assert.doesNotThrow(() => loader(JSON.parse(filled)), service.name);
    }
  });

  it("upgrades every pipeline service, bridges before collectors and the admin last", () => {
    assert.deepEqual([...upgradeOrder].sort(), nodeServices.map((s) => s.name).sort());
    assert.ok(upgradeOrder.indexOf("bridge") < upgradeOrder.indexOf("collector"));
    assert.equal(upgradeOrder.at(-1), "admin");
    const upgrade = generatedFiles().get("upgrade.ps1") ?? "";
    assert.match(upgrade, /& "\$Node" @arguments/, "drains through the admin CLI");
    assert.match(
      upgrade,
      /Switch-Service \$Name \$Link \$previous \$ReadyUrl/,
      "rolls back to the previous release",
    );
  });

  it("the NATS configs route each node to the two others and keep JetStream under ProgramData", () => {
    for (const [layout, nodes] of Object.entries(natsLayouts)) {
      for (const node of nodes) {
        const conf = generatedFiles().get(`nats/${layout}/${node.id}.conf`) ?? "";
        assert.match(conf, new RegExp(`server_name: ${node.id}\\n`));
        assert.match(conf, /store_dir: "\{\{DATA\}\}\/nats-n\d\/jetstream"/);
        assert.match(conf, new RegExp(`http_port: ${node.monitorPort}\\n`));
        assert.equal(conf.match(/nats-route:\/\//g)?.length, 2, `${layout}/${node.id} routes`);
      }
    }
    const ports = natsLayouts["one-machine"].flatMap((n) => [n.clientPort, n.clusterPort, n.monitorPort]);
    assert.equal(new Set(ports).size, ports.length, "one machine: every port differs");
  });
});

describe("the PowerShell structure checks", () => {
  const ok = "param(\n  [string]$Name\n)\nSet-StrictMode -Version Latest\n$ErrorActionPreference = 'Stop'\n";

  it("accept a script that follows the rules", () => {
    assert.deepEqual(checkPowerShell(`${ok}Write-Output "hi $Name"\n`, []), []);
  });

  it("find unbalanced brackets and unclosed strings, ignoring those in strings and comments", () => {
    assert.deepEqual(scanPowerShell("if ($a) { '}' # }\n}").problems, []);
    assert.notDeepEqual(scanPowerShell("if ($a) { Write-Output 1").problems, []);
    assert.notDeepEqual(scanPowerShell("Write-Output 'it''s").problems, []);
    assert.notDeepEqual(scanPowerShell("foo(]").problems, []);
  });

  it("find an unused parameter, a missing prologue, a POSIX path and an unquoted sc.exe argument", () => {
    assert.deepEqual(paramNames(ok), ["Name"]);
    assert.match(checkPowerShell(ok, []).join(), /\$Name is never used/);
    assert.match(checkPowerShell("param(\n)\nWrite-Output 1\n", []).join(), /Set-StrictMode/);
    assert.match(checkPowerShell(`${ok}$Name; Copy-Item $Name /tmp/x\n`, []).join(), /POSIX path/);
    assert.match(checkPowerShell(`${ok}& sc.exe delete $Name\n`, []).join(), /unquoted argument \$Name/);
    assert.deepEqual(checkPowerShell(`${ok}& sc.exe delete "$Name"\n`, []), []);
  });

  it("find a bundle file the manifest does not list", () => {
    const script = `${ok}$run = $Name; Start-Process "$run\\bin\\other.exe"\n`;
    assert.match(checkPowerShell(script, []).join(), /bin\\other\.exe is not in the manifest/);
    assert.deepEqual(checkPowerShell(script, ["bin\\other.exe"]), []);
  });

  it("find a dot-sourced file the manifest does not list", () => {
    const script = `${ok}$Name\n. (Join-Path $PSScriptRoot 'other.ps1')\n`;
    assert.match(checkPowerShell(script, []).join(), /deploy\\windows\\other\.ps1 is not in the manifest/);
    assert.deepEqual(checkPowerShell(script, ["deploy\\windows\\other.ps1"]), []);
  });

  it("do not ask a dot-sourced file for a param block's prologue", () => {
    assert.deepEqual(checkPowerShell("function Get-One { 1 }\n", [], { dotSourced: true }), []);
    assert.match(checkPowerShell("function Get-One { 1 }\n", []).join(), /Set-StrictMode/);
  });
});
