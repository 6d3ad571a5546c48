import { JetStreamApiError } from "@nats-io/jetstream";

/** JetStream's "system temporarily unavailable" (a cluster without a meta leader right now). */
const JS_TEMPORARILY_UNAVAILABLE = 10008;

/**
 * Whether a failed JetStream request is JetStream's answer (a refused configuration, a missing
 * stream or consumer: the operator must act) rather than JetStream not answering for now (a
 * request timed out or found no responder, the cluster is electing a leader after losing a
 * node), which passes by itself. Looks through `cause` chains.
 */
export function isRefusedByJetStream(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof JetStreamApiError) return e.code !== JS_TEMPORARILY_UNAVAILABLE;
  }
  return false;
}

/** What {@link untilJetStreamAnswers} needs. */
export interface UntilJetStreamAnswersOptions {
  /** What the attempt does, for the log ("bind the durable consumer"). */
  readonly what: string;
  /** Give up (throw the last error) once this long has passed without an answer, in ms. */
  readonly deadlineMs: number;
  /** Pause between attempts, in ms. */
  readonly retryMs?: number;
  /** True once the service is stopping: no further attempt, the last error is thrown. */
  readonly stopped?: () => boolean;
  readonly log: { warn(obj: object, msg: string): void };
}

/**
 * Runs `attempt` until JetStream answers it. A service (re)started while its NATS cluster
 * elects a leader (a node was just lost) sees its JetStream requests time out for a few
 * seconds; exiting on that would turn one lost node into a restart loop. JetStream's refusals
 * ({@link isRefusedByJetStream}) are thrown at once: waiting does not fix them.
 */
export async function untilJetStreamAnswers<T>(
  attempt: () => Promise<T>,
  options: UntilJetStreamAnswersOptions,
): Promise<T> {
  const retryMs = options.retryMs ?? 1_000;
  const giveUpAt = Date.now() + options.deadlineMs;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const waitMs = Math.min(retryMs, giveUpAt - Date.now());
      if (isRefusedByJetStream(err) || waitMs <= 0 || options.stopped?.()) throw err;
      options.log.warn(
        { err, attempt: tries, retryInMs: waitMs },
        `JetStream does not answer yet (${options.what}); retrying`,
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
