import { ErrorCode, LangtianError } from "@langtian/errors";
import { type ServerProcess, type ServerProcessSpec, spawnServer } from "./server-process.ts";
import { waitFor } from "./wait.ts";

/** Error thrown when a server does not come up; carries its log's tail. */
export class ServerStartError extends LangtianError {
  override readonly code = ErrorCode.unavailable;
  override name = "ServerStartError";
  /** Whether the log says a port was taken, so a retry on fresh ports may succeed. */
  readonly portInUse: boolean;
  constructor(message: string, portInUse: boolean, options?: ErrorOptions) {
    super(message, options);
    this.portInUse = portInUse;
  }
}

/** What {@link startUntilReady} needs. */
export interface StartUntilReadyOptions {
  /** Name for messages, e.g. `nats-server n1`. */
  what: string;
  spec: ServerProcessSpec;
  /** Resolves truthy once the server serves requests. */
  ready: () => Promise<boolean>;
  timeoutMs: number;
}

/**
 * Spawns a server and polls its readiness probe. If it exits early or is not ready in time,
 * kills it and throws a {@link ServerStartError} with the tail of its log.
 */
export async function startUntilReady(options: StartUntilReadyOptions): Promise<ServerProcess> {
  const server = spawnServer(options.spec);
  try {
    await waitFor(async () => ((await options.ready()) ? true : undefined), {
      what: `${options.what} to be ready`,
      timeoutMs: options.timeoutMs,
      intervalMs: 250,
      giveUpIf: () => (server.isRunning() ? undefined : "the process exited"),
    });
    return server;
  } catch (err) {
    await server.kill();
    const tail = server.logTail(40);
    const portInUse = /address already in use|BindException|EADDRINUSE/i.test(tail);
    throw new ServerStartError(
      `${options.what} did not start: ${(err as Error).message}\n--- ${options.spec.logFile} (tail) ---\n${tail}`,
      portInUse,
      { cause: err },
    );
  }
}
