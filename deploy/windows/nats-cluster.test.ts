// The generated NATS configs (deploy/windows/nats) run as they are on a real nats-server: the
// one-machine cluster forms with JetStream, and every config of both layouts is valid. Only
// what install.ps1 fills in differs: the data folder, the hosts, and here the ports (free
// ones, as this machine's defaults may be taken).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  freePorts,
  provisionNatsServer,
  type ServerProcess,
  spawnServer,
  tempDir,
  waitFor,
} from "@langtian/testing";
import { generatedFiles } from "./generate.ts";
import { natsLayouts } from "./services.ts";

/** A generated config as install.ps1 writes it, with `ports` remapped. */
function filled(layout: string, id: string, data: string, ports: ReadonlyMap<number, number>): string {
  let conf = generatedFiles().get(`nats/${layout}/${id}.conf`) ?? "";
  conf = conf.replaceAll("{{DATA}}", data);
  for (const i of [1, 2, 3]) conf = conf.replaceAll(`{{HOST_${i}}}`, `127.0.0.${i}`);
  return conf.replace(/\b\d{4}\b/g, (port) => String(ports.get(Number(port)) ?? port));
}

describe("the generated NATS cluster configs", () => {
  const servers: ServerProcess[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("are valid for nats-server in both layouts", async () => {
    const natsServer = await provisionNatsServer();
    const dir = tempDir("windows-nats-check");
    for (const [layout, nodes] of Object.entries(natsLayouts)) {
      for (const node of nodes) {
        const file = join(dir, `${layout}-${node.id}.conf`);
        writeFileSync(file, filled(layout, node.id, dir, new Map()));
        const check = spawnSync(natsServer, ["-c", file, "-t"], { encoding: "utf8" });
        assert.equal(check.status, 0, `${layout}/${node.id}: ${check.stderr}${check.stdout}`);
      }
    }
  });

  it("form a three-node JetStream cluster on one machine", async () => {
    const natsServer = await provisionNatsServer();
    const dir = tempDir("windows-nats-cluster");
    const nodes = natsLayouts["one-machine"];
    const defaults = nodes.flatMap((n) => [n.clientPort, n.clusterPort, n.monitorPort]);
    const free = await freePorts(defaults.length);
    const ports = new Map(defaults.map((port, i) => [port, free[i] ?? 0]));
    for (const node of nodes) {
      mkdirSync(join(dir, `nats-${node.id}`, "logs"), { recursive: true });
      const file = join(dir, `${node.id}.conf`);
      writeFileSync(file, filled("one-machine", node.id, dir, ports));
      servers.push(
        spawnServer({ command: natsServer, args: ["-c", file], logFile: join(dir, `${node.id}.out`) }),
      );
    }
    for (const node of nodes) {
      const monitor = `http://127.0.0.1:${ports.get(node.monitorPort)}`;
      const jsz = await waitFor(
        async () => {
          const health = await fetch(`${monitor}/healthz?js-enabled-only=true`).catch(() => undefined);
          if (health?.status !== 200) return undefined;
          const body = (await (await fetch(`${monitor}/jsz`)).json()) as {
            meta_cluster?: { cluster_size?: number; leader?: string };
          };
          return body.meta_cluster?.leader ? body : undefined;
        },
        {
          what: `${node.id} to join the cluster with a JetStream leader`,
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      );
      assert.equal(jsz.meta_cluster?.cluster_size, 3, node.id);
    }
  });
});
