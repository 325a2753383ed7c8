import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { VERSION } from '../version.js';
import type { RequestSpans, RequestTracer } from './spans.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';

/**
 * The OpenTelemetry SDK behind {@link RequestTracer}: imported dynamically by tracing.ts, so a node
 * with tracing off never loads it. Spans are batched (BatchSpanProcessor) and exported over
 * OTLP/HTTP (JSON) when an endpoint is set; without one, traceparent still propagates.
 */

export interface OtelOptions {
  serviceName: string;
  /** e.g. http://127.0.0.1:4318/v1/traces; null: no export. */
  otlpEndpoint: string | null;
  /** Share of new traces sampled, 0 to 1; a caller's traceparent decides for its own trace. */
  sampleRatio: number;
  /** Where the reverse proxy sends requests, for the upstream span's server.address and .port. */
  upstream: URL | null;
}

const SAMPLED = 1;

class OtelRequestSpans implements RequestSpans {
  readonly traceId: string;
  private readonly parent: Context;
  private auth: Span | null = null;
  private upstream: Span | null = null;

  constructor(
    private readonly tracer: Tracer,
    private readonly server: Span,
    private readonly upstreamAttributes: Attributes,
    private readonly method: string,
  ) {
    this.traceId = server.spanContext().traceId;
    this.parent = trace.setSpan(ROOT_CONTEXT, server);
  }

  target(method: string, path: string): void {
    this.server
      .updateName(method)
      .setAttributes({ [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: path });
  }

  authStarted(): void {
    this.auth = this.tracer.startSpan('authenticate', { kind: SpanKind.INTERNAL }, this.parent);
  }

  authEnded(outcome: string, user: string | null, tokenId: string | null): void {
    const attributes: Attributes = { 'tokengate.outcome': outcome };
    if (user !== null) attributes['tokengate.user'] = user;
    if (tokenId !== null) attributes['tokengate.token_id'] = tokenId;
    this.auth?.setAttributes(attributes).end();
    this.server.setAttributes(attributes);
  }

  upstreamStarted(): string {
    const span = this.tracer.startSpan(
      `upstream ${this.method}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { [ATTR_HTTP_REQUEST_METHOD]: this.method, ...this.upstreamAttributes },
      },
      this.parent,
    );
    this.upstream = span;
    const sc = span.spanContext();
    return formatTraceparent(sc.traceId, sc.spanId, (sc.traceFlags & SAMPLED) === SAMPLED);
  }

  upstreamAnswered(status: number | null, error?: string): void {
    const span = this.upstream;
    if (span === null) return;
    if (status !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (error !== undefined || (status !== null && status >= 500))
      span.setStatus({ code: SpanStatusCode.ERROR, ...(error === undefined ? {} : { message: error }) });
  }

  ended(status: number): void {
    this.upstream?.end();
    this.server.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) this.server.setStatus({ code: SpanStatusCode.ERROR });
    this.server.end();
  }
}

/** A tracer provider with its exporter; `close` flushes the spans still batched. */
export function startOtelTracer(opts: OtelOptions): RequestTracer {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      [ATTR_SERVICE_VERSION]: VERSION,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio) }),
    spanProcessors:
      opts.otlpEndpoint === null
        ? []
        : [new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.otlpEndpoint }))],
  });
  const tracer = provider.getTracer('tokengate', VERSION);
  const upstreamAttributes: Attributes =
    opts.upstream === null
      ? {}
      : {
          [ATTR_SERVER_ADDRESS]: opts.upstream.hostname,
          [ATTR_SERVER_PORT]: Number(opts.upstream.port || (opts.upstream.protocol === 'https:' ? 443 : 80)),
        };
  return {
    start(traceparent, method, path, entrypoint) {
      const given = parseTraceparent(traceparent);
      const parent =
        given === null
          ? ROOT_CONTEXT
          : trace.setSpanContext(ROOT_CONTEXT, {
              traceId: given.traceId,
              spanId: given.parentId,
              traceFlags: given.flags & SAMPLED,
              isRemote: true,
            });
      const server = tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_URL_PATH]: path,
            'tokengate.entrypoint': entrypoint,
          },
        },
        parent,
      );
      return new OtelRequestSpans(tracer, server, upstreamAttributes, method);
    },
    close: () => provider.shutdown(),
  };
}
