import type { RequestTracer } from './spans.js';
import type { OtelOptions } from './otel.js';

/**
 * Loads the OpenTelemetry SDK only now: a node with `tracing.enabled` off never imports it (the SDK
 * and the exporter are about 40 modules and a few MB of heap).
 */
export async function startTracing(opts: OtelOptions): Promise<RequestTracer> {
  const { startOtelTracer } = await import('./otel.js');
  return startOtelTracer(opts);
}
