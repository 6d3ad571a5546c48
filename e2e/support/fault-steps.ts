import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { LifecycleService } from "@langtian/proto";
import type { FaultStep } from "./fault-schedule.ts";
import { lakeCommitFailure } from "./lake-faults.ts";
import { E2E_OPERATOR_TOKEN, type Pipeline, TELEMETRY_TABLE } from "./pipeline.ts";
import type { SupervisedService } from "./supervised-service.ts";
import type { Timeline } from "./timeline.ts";

/** How long a killed service stays down before it is started again. */
const KILL_PAUSE_MS = 2_000;
/** How long lake commits fail in one commit failure. */
const COMMIT_FAILURE_MS = 6_000;
/** How long a restarted server stays down. */
const SERVER_DOWN_MS = 3_000;
/** Longest the collector's drain may take (its spool replays into JetStream meanwhile). */
const COLLECTOR_DRAIN_DEADLINE_MS = 60_000;

/**
 * Timeline kinds that open and close a span in which the collector's UDP port is closed
 * (datagrams sent then are lost before anything accepts them; see `udpClosedMs`).
 */
export const CollectorIntake = { closed: "collector-intake-closed", open: "collector-intake-open" } as const;

/** The faults a chaos scenario schedules, each a step at `atMs` after the feed started. */
export interface FaultSteps {
  /** SIGKILL `service`, start it again 2 s later. */
  kill(atMs: number, service: SupervisedService): FaultStep;
  /**
   * Every commit of the telemetry table fails for 6 s (none when this machine cannot freeze a
   * folder: see `lakeCommitFailure`).
   */
  commitFailure(atMs: number): FaultStep[];
  /** Stops Kafka broker `broker` (0-based; default 0) gracefully, 3 s down, starts it on the same port and data. */
  restartKafka(atMs: number, broker?: number): FaultStep;
  /** Stops nats-server gracefully, 3 s down, starts it on the same port and store (single server). */
  restartNats(atMs: number): FaultStep;
  /** SIGKILL NATS node `node` (0-based), 3 s down, start it again on the same port and store. */
  killNatsNode(atMs: number, node: number): FaultStep;
  /**
   * Drains the collector through its `LifecycleService.Drain` with the operator token (UDP
   * intake closes, in-flight publishes and the spool are flushed to JetStream), stops it with
   * SIGTERM and starts it again on the same UDP port and spool folder.
   */
  drainAndRestartCollector(atMs: number): FaultStep;
}

/** The fault steps for `pipeline`, logging on `timeline`. */
export function createFaultSteps(pipeline: Pipeline, timeline: Timeline): FaultSteps {
  const restart = (
    atMs: number,
    server: { what: string; kind: string; target: string; stop(): Promise<void>; start(): Promise<void> },
  ): FaultStep => ({
    atMs,
    what: server.what,
    run: async () => {
      timeline.record(`${server.kind}-stop`, server.target);
      await server.stop();
      timeline.record(`${server.kind}-stopped`, server.target);
      await sleep(SERVER_DOWN_MS);
      await server.start();
      timeline.record(`${server.kind}-started`, server.target);
    },
  });
  const seconds = SERVER_DOWN_MS / 1000;
  return {
    kill: (atMs, service) => ({
      atMs,
      what: `SIGKILL ${service.name}, start again after ${KILL_PAUSE_MS / 1000} s`,
      run: () => service.crash(KILL_PAUSE_MS),
    }),
    commitFailure: (atMs) =>
      lakeCommitFailure(
        atMs,
        COMMIT_FAILURE_MS,
        { dataPath: pipeline.lake.dataPath, table: TELEMETRY_TABLE, writers: pipeline.lakeWriters },
        timeline,
      ),
    restartKafka: (atMs, broker = 0) => {
      const kafka = pipeline.kafka;
      if (!kafka) throw new Error("this pipeline runs no Kafka");
      const node = kafka.brokers[broker];
      if (!node) throw new RangeError(`no Kafka broker ${broker}; the pipeline runs ${kafka.brokers.length}`);
      return restart(atMs, {
        what: `restart Kafka broker ${node.nodeId} (graceful stop, ${seconds} s down, start on the same port and data)`,
        kind: "kafka",
        target: `kafka broker ${node.nodeId} (${node.address})`,
        stop: () => kafka.stopBroker(broker),
        start: () => kafka.startBroker(broker),
      });
    },
    restartNats: (atMs) =>
      restart(atMs, {
        what: `restart nats-server (graceful stop, ${seconds} s down, start on the same port and store)`,
        kind: "nats",
        target: "nats-server",
        stop: () => pipeline.nats.stop(),
        start: () => pipeline.nats.start(),
      }),
    killNatsNode: (atMs, index) => {
      const node = pipeline.natsNodes[index];
      if (!node)
        throw new RangeError(`no NATS node ${index}; the pipeline runs ${pipeline.natsNodes.length}`);
      return {
        atMs,
        what: `SIGKILL NATS node ${node.serverName}, ${seconds} s down, start on the same port and store`,
        run: async () => {
          const target = `nats ${node.serverName} (${node.url})`;
          await node.kill();
          timeline.record("nats-SIGKILL", target, `start again in ${SERVER_DOWN_MS} ms`);
          await sleep(SERVER_DOWN_MS);
          // Ready once it answers JetStream requests, i.e. rejoined the cluster's meta group.
          await node.start();
          timeline.record("nats-started", target);
        },
      };
    },
    drainAndRestartCollector: (atMs) => ({
      atMs,
      what: "drain the collector (LifecycleService.Drain, operator token), SIGTERM, start on the same UDP port and spool",
      run: async () => {
        const { collector } = pipeline;
        const url = collector.current()?.url;
        if (url === undefined) throw new Error("the collector is not running, nothing to drain");
        const client = createClient(
          LifecycleService,
          createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
        );
        // Its first drain step closes the UDP sockets: from here datagrams find no listener.
        timeline.record(CollectorIntake.closed, collector.name, "drain requested");
        const drained = await client.drain(
          { deadlineMs: COLLECTOR_DRAIN_DEADLINE_MS },
          {
            headers: { authorization: `Bearer ${E2E_OPERATOR_TOKEN}` },
            timeoutMs: COLLECTOR_DRAIN_DEADLINE_MS + 10_000,
          },
        );
        if (drained.deadlineExceeded)
          throw new Error(`the collector did not drain within ${COLLECTOR_DRAIN_DEADLINE_MS} ms`);
        timeline.record("drained", collector.name, "in-flight publishes and spool flushed");
        // SIGTERM (its drain again, a no-op now), then a start with the same env: same port, same spool.
        await collector.restart();
        timeline.record(CollectorIntake.open, collector.name, "started again, UDP bound");
      },
    }),
  };
}

/**
 * How long, in total, the collector's UDP port was closed during the run (from the drain
 * request to the restarted collector being ready), read from the timeline. A span still open
 * at the end counts up to `endMs`.
 */
export function udpClosedMs(entries: readonly { atMs: number; kind: string }[], endMs: number): number {
  let total = 0;
  let closedAt: number | undefined;
  for (const entry of entries) {
    if (entry.kind === CollectorIntake.closed) closedAt ??= entry.atMs;
    if (entry.kind === CollectorIntake.open && closedAt !== undefined) {
      total += entry.atMs - closedAt;
      closedAt = undefined;
    }
  }
  return closedAt === undefined ? total : total + Math.max(0, endMs - closedAt);
}
