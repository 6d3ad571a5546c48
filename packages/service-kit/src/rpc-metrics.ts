/**
 * A Connect interceptor counting RPCs and timing them on the app's registry:
 * `langtian_<service>_rpc_requests_total{method,code}` and
 * `langtian_<service>_rpc_duration_seconds{method}` (a server stream: until its last message).
 */
import type { Interceptor } from "@connectrpc/connect";
import { methodKey } from "./auth.ts";
import { toConnectError } from "./errors.ts";
import type { ServiceMetrics } from "./metrics.ts";
import { codeName } from "./rpc-refusals.ts";

/** Creates the interceptor; call once per app (it registers the metrics). */
export function rpcMetricsInterceptor(metrics: ServiceMetrics): Interceptor {
  const requests = metrics.counter({
    name: "rpc_requests_total",
    help: "RPCs that reached their handler, by method and Connect code (ok for success, else e.g. invalid_argument).",
    labelNames: ["method", "code"],
  });
  const duration = metrics.histogram({
    name: "rpc_duration_seconds",
    help: "Time to handle an RPC (unary: until the response message is ready).",
    labelNames: ["method"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  });
  return (next) => async (req) => {
    const method = methodKey(req.method);
    const end = duration.startTimer({ method });
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (err) {
      requests.inc({ method, code: codeName(toConnectError(err).code) });
      end();
      throw err;
    }
    if (!res.stream) {
      requests.inc({ method, code: "ok" });
      end();
      return res;
    }
    // A server stream is done (and has its code) only once its last message was sent.
    const messages = res.message;
    async function* observed() {
      try {
        yield* messages;
        requests.inc({ method, code: "ok" });
      } catch (err) {
        requests.inc({ method, code: codeName(toConnectError(err).code) });
        throw err;
      } finally {
        end();
      }
    }
    return { ...res, message: observed() };
  };
}
