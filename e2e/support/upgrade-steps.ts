import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createApp, loadAdminConfig } from "@langtian/admin";
import { AdminService } from "@langtian/proto";
import { waitFor } from "@langtian/testing";
import type { FaultStep } from "./fault-schedule.ts";
import { E2E_OPERATOR_TOKEN, type Pipeline } from "./pipeline.ts";
import type { SupervisedService } from "./supervised-service.ts";
import type { Timeline } from "./timeline.ts";

const quiet = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * One instance's rolling upgrade, the way docs/OPERATIONS.md describes it: drain it through the
 * admin service (`DrainInstance`, streamed until it reports drained; refused when it is the last
 * ready instance of its stage), stop it (SIGTERM), start it again (the "new version"), and wait
 * until it is ready. The admin is built for the step with the instances' current endpoints
 * (their ports change on every start).
 */
export function upgradeStep(
  atMs: number,
  target: SupervisedService,
  pipeline: Pipeline,
  timeline: Timeline,
): FaultStep {
  return {
    atMs,
    what: `upgrade ${target.name}: drain through the admin, stop, start, wait until ready`,
    run: async () => {
      // As an operator does: the stage's other instances must be ready before one is drained
      // (a lake writer retrying a conflicting commit is not ready for a moment).
      const stage = pipeline.bridges.includes(target) ? pipeline.bridges : pipeline.lakeWriters;
      for (const other of stage.filter((s) => s !== target)) await untilReady(other);
      const instances = [
        ...pipeline.bridges.map((s) => ["bridge", s] as const),
        ...pipeline.lakeWriters.map((s) => ["lake-writer", s] as const),
      ]
        .filter(([, s]) => s.current() !== undefined)
        .map(([stage, s]) => `${s.name}=${stage}@${s.current()?.url}`);
      const admin = createApp(
        loadAdminConfig(
          {},
          {
            port: 0,
            logLevel: "warn",
            operatorToken: E2E_OPERATOR_TOKEN,
            instanceOperatorToken: E2E_OPERATOR_TOKEN,
            deployment: { instances },
            nats: { url: pipeline.natsUrl, streams: [pipeline.names.stream] },
            kafka: {
              bootstrap: (pipeline.kafka?.bootstrap ?? "").split(","),
              topics: [pipeline.names.topic],
            },
            lake: {
              catalog: "sqlite",
              catalogPath: pipeline.lake.catalogPath,
              dataPath: pipeline.lake.dataPath,
            },
          },
        ),
        { logDestination: quiet() },
      );
      await admin.start();
      try {
        const { url } = await admin.service.listen();
        const client = createClient(
          AdminService,
          createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
        );
        timeline.record("drain", target.name, "through the admin");
        for await (const step of client.drainInstance(
          { instance: target.name, deadlineMs: 60_000 },
          { headers: { authorization: `Bearer ${E2E_OPERATOR_TOKEN}` } },
        )) {
          if (step.done) {
            if (step.deadlineExceeded) throw new Error(`${target.name} did not drain within 60 s`);
            timeline.record("drained", target.name, step.detail);
          }
        }
      } finally {
        await admin.stop();
      }
      await target.restart();
      // The next instance of the stage may only be drained once this one takes work again.
      await untilReady(target);
      timeline.record("ready", target.name, "after its upgrade");
    },
  };
}

/** Waits until the instance answers `/readyz` with 200. */
function untilReady(service: SupervisedService): Promise<true> {
  return waitFor(
    async () => {
      const url = service.current()?.url;
      if (url === undefined) return undefined;
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    },
    { what: `${service.name} to be ready`, timeoutMs: 90_000, intervalMs: 250 },
  );
}
