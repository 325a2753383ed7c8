import type { AccessEntrypoint } from '../log/access-log.js';

/**
 * What the edges tell the tracer about one request: a server span for the request, with a child for
 * the authentication step and one for the upstream call. The OpenTelemetry implementation is in
 * otel.ts, loaded only when `tracing.enabled` (see tracing.ts); nothing here imports the SDK.
 */

/** The spans of one request. */
export interface RequestSpans {
  /** The request's trace id (32 hex digits): the caller's when its traceparent was valid. */
  readonly traceId: string;
  /** The request the span stands for, when the edge learns it later (forward-auth's original request). */
  target(method: string, path: string): void;
  authStarted(): void;
  /** Ends the authentication span; `user` and `tokenId` are null when nobody was authenticated. */
  authEnded(outcome: string, user: string | null, tokenId: string | null): void;
  /** Starts the upstream call's span; returns the traceparent the upstream gets (its parent id is this span). */
  upstreamStarted(): string;
  /** The upstream's status, or null and why it failed. The span ends with the request. */
  upstreamAnswered(status: number | null, error?: string): void;
  /** Ends the open spans and the server span with the status the client got. */
  ended(status: number): void;
}

/** Starts each request's spans; one per node, closed with it (flushing the batched spans). */
export interface RequestTracer {
  /** `traceparent` as received: kept when valid, else a new trace starts. `path` has no query string. */
  start(
    traceparent: string | string[] | undefined,
    method: string,
    path: string,
    entrypoint: AccessEntrypoint,
  ): RequestSpans;
  close(): Promise<void>;
}
