import { createEventTracer, type EventTracer } from "./event-tracer.ts";
import { DrainOrder } from "./lifecycle.ts";
import type { ServiceApp } from "./service-app.ts";
import { spanCountsIn } from "./span-accounting.ts";
import type { TracingConfig } from "./tracing-fields.ts";

/**
 * The event tracer of a running service: named after it (service, version, instance), its
 * spans exported once the service's own work is flushed at drain, shut down when it closes.
 */
export function createServiceTracer(app: ServiceApp, config: TracingConfig): EventTracer {
  const tracer = createEventTracer({
    config,
    service: app.service,
    version: app.version,
    instanceId: app.instanceId,
    logger: app.logger,
    ...(config.otlpEndpoint !== undefined && { counts: spanCountsIn(app.metrics) }),
  });
  if (!tracer.exporting) return tracer;
  app.lifecycle.onDrain({
    name: "export-spans",
    // After the flush step, whose events end their spans; before connections close.
    order: DrainOrder.flush + 50,
    run: () => tracer.flush(),
  });
  app.fastify.addHook("onClose", () => tracer.shutdown());
  return tracer;
}
