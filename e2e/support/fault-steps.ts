import { setTimeout as sleep } from "node:timers/promises";
import type { FaultStep } from "./fault-schedule.ts";
import { lakeCommitFailure } from "./lake-faults.ts";
import { type Pipeline, TELEMETRY_TABLE } from "./pipeline.ts";
import type { SupervisedService } from "./supervised-service.ts";
import type { Timeline } from "./timeline.ts";

/** How long a killed service stays down before it is started again. */
const KILL_PAUSE_MS = 2_000;
/** How long lake commits fail in one commit failure. */
const COMMIT_FAILURE_MS = 6_000;
/** How long a restarted server stays down. */
const SERVER_DOWN_MS = 3_000;

/** The faults a chaos scenario schedules, each a step at `atMs` after the feed started. */
export interface FaultSteps {
  /** SIGKILL `service`, start it again 2 s later. */
  kill(atMs: number, service: SupervisedService): FaultStep;
  /**
   * Every commit of the telemetry table fails for 6 s (none when this machine cannot freeze a
   * folder: see `lakeCommitFailure`).
   */
  commitFailure(atMs: number): FaultStep[];
  /** Stops the Kafka broker gracefully, 3 s down, starts it on the same port and data. */
  restartKafka(atMs: number): FaultStep;
  /** Stops nats-server gracefully, 3 s down, starts it on the same port and store. */
  restartNats(atMs: number): FaultStep;
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
    restartKafka: (atMs) => {
      const kafka = pipeline.kafka;
      if (!kafka) throw new Error("this pipeline runs no Kafka");
      return restart(atMs, {
        what: `restart Kafka (graceful stop, ${seconds} s down, start on the same port and data)`,
        kind: "kafka",
        target: "kafka broker 1",
        stop: () => kafka.stopBroker(0),
        start: () => kafka.startBroker(0),
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
  };
}
