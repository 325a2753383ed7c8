import type { Config } from '../../config/config.js';
import { AccessLog } from '../../log/access-log.js';
import { RotatingFileSink } from '../../log/rotating-file.js';
import { RequestObserver } from '../../tracing/observation.js';
import type { RequestTracer } from '../../tracing/spans.js';
import { startTracing } from '../../tracing/tracing.js';

/**
 * The access log and the tracer (config `accessLog:`, `tracing:`). null when both are off: the
 * proxy and forward-auth then check that one null per request and do nothing else. Stopping flushes
 * the spans still batched and the log lines still queued.
 */
export async function startObservability(deps: {
  config: Pick<Config, 'accessLog' | 'tracing'>;
  /** Where the reverse proxy sends requests, for the upstream spans. */
  upstream: string;
  /** Told when the access log file cannot be written (once per outage). */
  onError?: (message: string, err?: unknown) => void;
}): Promise<{ observer: RequestObserver | null; stop(): Promise<void> }> {
  const { accessLog, tracing } = deps.config;
  if (!accessLog.enabled && !tracing.enabled) return { observer: null, stop: async () => undefined };
  let log: AccessLog | null = null;
  if (accessLog.enabled) {
    const file = new RotatingFileSink(accessLog.file, {
      maxBytes: accessLog.maxSizeMb * 1024 * 1024,
      maxFiles: accessLog.maxFiles,
      ...(deps.onError ? { onError: deps.onError } : {}),
    });
    // Fails the start on an unwritable path, as the main log does.
    await file.open();
    log = new AccessLog(file, accessLog.format);
  }
  let tracer: RequestTracer | null = null;
  try {
    if (tracing.enabled)
      tracer = await startTracing({
        serviceName: tracing.serviceName,
        otlpEndpoint: tracing.otlpEndpoint,
        sampleRatio: tracing.sampleRatio,
        upstream: deps.upstream === '' ? null : new URL(deps.upstream),
      });
  } catch (err) {
    await log?.close();
    throw err;
  }
  const observer = new RequestObserver(log, tracer);
  return { observer, stop: () => observer.close() };
}
