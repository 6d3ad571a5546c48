import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  AdminService,
  GetOverviewResponseSchema,
  type Overview,
  WatchOverviewResponseSchema,
} from "@langtian/proto";

/** What the admin routes need. */
export interface AdminRouteDeps {
  /** Reads the whole deployment once. */
  readonly overview: () => Promise<Overview>;
}

/** Fastest WatchOverview interval, and the default. */
const MIN_WATCH_INTERVAL_MS = 500;
const DEFAULT_WATCH_INTERVAL_MS = 2_000;

/** Connect routes: `langtian.admin.v1.AdminService`. */
export function adminRoutes(deps: AdminRouteDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(AdminService, {
      async getOverview() {
        return create(GetOverviewResponseSchema, { overview: await deps.overview() });
      },
      async *watchOverview(request, context) {
        const intervalMs = Math.max(MIN_WATCH_INTERVAL_MS, request.intervalMs || DEFAULT_WATCH_INTERVAL_MS);
        while (!context.signal.aborted) {
          yield create(WatchOverviewResponseSchema, { overview: await deps.overview() });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, intervalMs);
            context.signal.addEventListener(
              "abort",
              () => {
                clearTimeout(timer);
                resolve();
              },
              { once: true },
            );
          });
        }
      },
    });
  };
}
