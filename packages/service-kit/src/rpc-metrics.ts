/**
 * A Connect interceptor counting RPCs and timing them on the app's registry:
 * `langtian_<service>_rpc_requests_total{method,code}` and
 * `langtian_<service>_rpc_duration_seconds{method}`.
 */
import type { Interceptor } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import { methodKey } from "./auth.ts";
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
    try {
      const res = await next(req);
      requests.inc({ method, code: "ok" });
      return res;
    } catch (err) {
      requests.inc({ method, code: codeName(ConnectError.from(err).code) });
      throw err;
    } finally {
      end();
    }
  };
}
