import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeSocketIp } from '../domain/auth/client-ip.js';
import { withoutQuery, type AccessEntrypoint, type AccessLog } from '../log/access-log.js';
import type { RequestSpans, RequestTracer } from './spans.js';

/** What an observation needs of the authentication's result (AuthResult has it). */
export interface AuthView {
  outcome: { kind: string };
  identity: { user: string; tokenId: string } | null;
  client: { clientIp: string };
}

/** A client gone before any answer: nginx's 499, for the access log and the span. */
const CLIENT_CLOSED = 499;

/**
 * One request as the access log and the tracer see it, filled in by the edge as the request goes
 * (authentication, upstream call) and written once at its end. Exists only when the access log or
 * tracing is on: with both off the edges hold null and read no clock.
 */
export class Observation {
  /** Wall-clock arrival, for the log line. */
  readonly time = Date.now();
  private readonly started = performance.now();
  private mark = 0;
  requestId = '';
  method: string;
  path: string;
  private clientIp: string | null = null;
  private user: string | null = null;
  private tokenId: string | null = null;
  private authMs: number | null = null;
  private upstreamMs: number | null = null;
  private upstreamStatus: number | null = null;
  private forwarded = false;
  /** Response body bytes relayed from the upstream. */
  bytes = 0;

  constructor(
    private readonly req: IncomingMessage,
    private readonly entrypoint: AccessEntrypoint,
    private readonly log: AccessLog | null,
    readonly spans: RequestSpans | null,
  ) {
    this.method = req.method ?? 'GET';
    this.path = withoutQuery(req.url ?? '/');
  }

  /** Forward-auth's original request, which the log line and the span stand for (its path without a query). */
  original(method: string, path: string): void {
    this.method = method;
    this.path = path;
    this.spans?.target(method, path);
  }

  authStarted(): void {
    this.mark = performance.now();
    this.spans?.authStarted();
  }

  authEnded(auth: AuthView): void {
    this.authMs = performance.now() - this.mark;
    this.clientIp = auth.client.clientIp;
    const id = auth.identity;
    if (id !== null) {
      this.user = id.user;
      // A browser session has no token.
      this.tokenId = id.tokenId === '' ? null : id.tokenId;
    }
    this.spans?.authEnded(auth.outcome.kind, this.user, this.tokenId);
  }

  /** The traceparent the upstream gets with tracing on; null: the client's headers go as they are. */
  upstreamStarted(): string | null {
    this.mark = performance.now();
    this.forwarded = true;
    return this.spans === null ? null : this.spans.upstreamStarted();
  }

  upstreamAnswered(status: number): void {
    this.upstreamMs = performance.now() - this.mark;
    this.upstreamStatus = status;
    this.spans?.upstreamAnswered(status);
  }

  upstreamFailed(reason: string): void {
    this.spans?.upstreamAnswered(null, reason);
  }

  /** Writes the log line and ends the spans, once the answer is complete (or the client gone). */
  finish(res: ServerResponse): void {
    const status = res.headersSent ? res.statusCode : CLIENT_CLOSED;
    this.spans?.ended(status);
    if (this.log === null) return;
    const h = this.req.headers;
    this.log.record({
      time: this.time,
      entrypoint: this.entrypoint,
      clientIp: this.clientIp ?? normalizeSocketIp(this.req.socket.remoteAddress),
      method: this.method,
      path: this.path,
      httpVersion: this.req.httpVersion,
      status,
      bytes: this.forwarded ? this.bytes : declaredBytes(res),
      referer: h.referer,
      userAgent: h['user-agent'],
      requestId: this.requestId,
      user: this.user,
      tokenId: this.tokenId,
      upstreamStatus: this.upstreamStatus,
      authMs: this.authMs,
      upstreamMs: this.upstreamMs,
      durationMs: performance.now() - this.started,
      traceId: this.spans?.traceId ?? null,
    });
  }
}

/** tokengate's own answers (refusals, errors, forward-auth) declare their length. */
function declaredBytes(res: ServerResponse): number | null {
  if (!res.headersSent) return null;
  const length = Number(res.getHeader('content-length'));
  return Number.isFinite(length) ? length : null;
}

/** Makes each request's observation; built once when the access log or tracing is on. */
export class RequestObserver {
  constructor(
    private readonly log: AccessLog | null,
    private readonly tracer: RequestTracer | null,
  ) {}

  begin(req: IncomingMessage, entrypoint: AccessEntrypoint): Observation {
    const spans =
      this.tracer === null
        ? null
        : this.tracer.start(
            req.headers.traceparent,
            req.method ?? 'GET',
            withoutQuery(req.url ?? '/'),
            entrypoint,
          );
    return new Observation(req, entrypoint, this.log, spans);
  }

  async close(): Promise<void> {
    await this.tracer?.close();
    await this.log?.close();
  }
}
