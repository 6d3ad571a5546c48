import { isRefusedByJetStream } from "@langtian/service-kit";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { CollectorConfig } from "./config.ts";
import { createJetStreamTarget, type SwitchableTarget } from "./publish-target.ts";
import { type EnsureStreamResult, ensureStream } from "./stream-provisioner.ts";

/** What the link needs. */
export interface NatsLinkOptions {
  readonly nats: CollectorConfig["nats"];
  readonly stream: CollectorConfig["stream"];
  /** Publishes go here once NATS is up and the stream provisioned. */
  readonly target: SwitchableTarget;
  readonly log: Logger;
  /** Called whenever publishing can (re)start: delivery replays its spool. */
  readonly onPublishable: () => void;
}

/** The collector's connection to NATS, from the first dial to the drain. */
export interface NatsLink {
  /**
   * Dials NATS for at most `nats.startupWaitMs`. When it answers, provisions the stream (a
   * stream JetStream refuses, see {@link isRefusedByJetStream}, rejects: a startup error).
   * When it does not answer, or JetStream does not answer for now (a cluster that lost a node
   * and is electing a leader), resolves anyway: the collector accepts into its spool
   * meanwhile, and provisions the stream once JetStream answers, retrying every 5 s.
   */
  start(): Promise<void>;
  /** The server connected to, if any (health). */
  server(): string | undefined;
  /** Why the stream is not provisioned yet, if it is not (health). */
  streamProblem(): string | undefined;
  /** The connection once up (dead letters publish on it). */
  connection(): NatsConnection | undefined;
  /** The server's `max_payload` when NATS answered at startup. */
  maxPayloadAtStart(): number | undefined;
  /** Drains the connection, or closes a dial still in progress once it connects. */
  close(): Promise<void>;
}

/** Creates the link; nothing is dialled before {@link NatsLink.start}. */
export function createNatsLink(options: NatsLinkOptions): NatsLink {
  const { log } = options;
  let nc: NatsConnection | undefined;
  let connecting: Promise<NatsConnection> | undefined;
  let maxPayload: number | undefined;
  let streamProblem: string | undefined;
  let closed = false;

  const provision = async (connection: NatsConnection): Promise<void> =>
    reportStream(await ensureStream(await jetstreamManager(connection), options.stream));

  const reportStream = (stream: EnsureStreamResult): void => {
    const name = options.stream.name;
    if (stream.created) log.info({ stream: name }, "created the event stream");
    for (const d of stream.differences) {
      log.warn(
        { stream: name, field: d.field, live: d.live, configured: d.configured },
        `stream ${name}: ${d.field} is ${d.live} but the configuration says ${d.configured}; the stream was not changed`,
      );
    }
  };

  const attach = (connection: NatsConnection): void => {
    nc = connection;
    options.target.set(createJetStreamTarget(connection, options.nats.ackTimeoutMs));
    void (async () => {
      for await (const s of connection.status()) {
        if (s.type === "reconnect") {
          log.info("NATS connection back: replaying the spool");
          options.onPublishable();
        } else if (s.type === "disconnect") log.warn("NATS connection lost: spooling events");
      }
    })();
    options.onPublishable();
  };

  /** NATS came up after startup: provision the stream (retrying, e.g. a cluster still electing), then publish. */
  const attachWhenProvisioned = async (connection: NatsConnection): Promise<void> => {
    while (!closed) {
      try {
        await provision(connection);
        streamProblem = undefined;
        log.info("NATS reachable and the stream ready: replaying the spool");
        attach(connection);
        return;
      } catch (err) {
        streamProblem = err instanceof Error ? err.message : String(err);
        log.error({ err }, "cannot provision the event stream; retrying in 5 s");
        await new Promise((resolve) => setTimeout(resolve, 5_000));
      }
    }
    await connection.close();
  };

  return {
    async start() {
      connecting = connect({
        servers: options.nats.url.split(","),
        name: "langtian-collector",
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        // Keep dialling until NATS answers: the collector spools meanwhile.
        waitOnFirstConnect: true,
        // Async traces build Error objects (with stacks) per request; ours carry context.
        noAsyncTraces: true,
      });
      let timer: NodeJS.Timeout | undefined;
      const first = await Promise.race([
        connecting,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), options.nats.startupWaitMs);
        }),
      ]).finally(() => clearTimeout(timer));
      if (first === undefined) {
        log.warn(
          { url: options.nats.url },
          "NATS is not reachable: accepting events into the spool until it is",
        );
        connecting.then(attachWhenProvisioned, (err: unknown) =>
          log.error({ err }, "cannot connect to NATS"),
        );
        return;
      }
      maxPayload = first.info?.max_payload;
      try {
        await provision(first);
      } catch (err) {
        if (!isRefusedByJetStream(err)) {
          // Refusing to start would close the UDP port for as long as JetStream is away.
          streamProblem = err instanceof Error ? err.message : String(err);
          log.warn(
            { err },
            "JetStream does not answer yet: accepting events into the spool until the stream is provisioned",
          );
          void attachWhenProvisioned(first);
          return;
        }
        closed = true;
        await first.close();
        throw err;
      }
      attach(first);
    },
    server: () => nc?.getServer(),
    streamProblem: () => streamProblem,
    connection: () => nc,
    maxPayloadAtStart: () => maxPayload,
    async close() {
      closed = true;
      if (nc !== undefined) await nc.drain().catch(() => nc?.close());
      // Still dialling: close the connection as soon as it exists.
      else
        void connecting?.then(
          (c) => c.close(),
          () => {},
        );
    },
  };
}
