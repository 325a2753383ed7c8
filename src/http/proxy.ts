import type { IncomingMessage, ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import type { AuthResult, Gateway } from '../gateway/gateway.js';
import type { NamedLogger } from '../log/log-manager.js';
import { connectionTokens, HOP_BY_HOP, rateLimitHeaders, type IdentityHeaderNames } from './headers.js';
import { isDatabaseUnavailable } from '../store/db-errors.js';
import { checkRequestTarget } from '../domain/request-target.js';
import { sendDenial, sendError } from './respond.js';
import { heldBack, LogThrottle } from '../log/throttle.js';
import { maskTokens } from '../domain/audit.js';
import type { LogContext } from '../log/layout.js';

type DispatchController = Dispatcher.DispatchController;

export interface ProxyOptions {
  upstream: URL;
  identityHeaders: IdentityHeaderNames;
  /** More client headers to drop on every request, e.g. `x-remote-user` if the upstream trusts it. */
  stripHeaders: readonly string[];
  connectTimeoutMs: number;
  /** Time to the upstream's response headers; past it the client gets 504. */
  headersTimeoutMs: number;
  /** Longest silence while a body streams; past it the exchange is cut. */
  bodyTimeoutMs: number;
  /** Pooled keep-alive connections to the upstream. */
  connections: number;
}

const NEVER_FORWARDED = [
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  'expect',
];

function hasBody(req: IncomingMessage): boolean {
  return req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
}

/** The log context of a request that failed before it was authenticated. */
export function requestContext(req: IncomingMessage): LogContext {
  return {
    username: 'anonymous',
    requestId: '-',
    ip: req.socket.remoteAddress ?? '-',
    url: maskTokens((req.url ?? '/').split('?')[0] ?? '/'),
  };
}

/** Maps an upstream failure before its response started to 502 or 504. */
function upstreamFailure(err: unknown): { status: 'bad_gateway' | 'gateway_timeout'; message: string } {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { status: 'gateway_timeout', message: 'the upstream did not answer in time' };
  }
  return { status: 'bad_gateway', message: `the upstream could not be reached (${code || 'error'})` };
}

/**
 * The reverse proxy: authenticate, then stream the request to the upstream and its answer back,
 * through a pool of keep-alive connections. Bodies are never buffered, whatever their size.
 */
export class Proxy {
  private readonly pool: Pool;
  private readonly basePath: string;
  /** One line per 10 s while the database is away, not one per request. */
  private readonly unavailable = new LogThrottle(10_000);
  /** Every client header that never goes upstream as sent, lower-cased once. */
  private readonly dropped: ReadonlySet<string>;

  constructor(
    private readonly gateway: Gateway,
    private readonly opts: ProxyOptions,
    private readonly log: NamedLogger,
    private readonly requestId: (given: string | string[] | undefined) => string,
  ) {
    this.pool = new Pool(opts.upstream.origin, {
      connections: opts.connections,
      connectTimeout: opts.connectTimeoutMs,
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
      keepAliveTimeout: 4_000,
    });
    this.basePath = opts.upstream.pathname === '/' ? '' : opts.upstream.pathname.replace(/\/$/, '');
    const id = opts.identityHeaders;
    this.dropped = new Set(
      [...HOP_BY_HOP, ...NEVER_FORWARDED, id.user, id.tokenId, id.scope, ...opts.stripHeaders].map((h) =>
        h.toLowerCase(),
      ),
    );
  }

  /** The request listener for every path outside /_tokengate/. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((err: unknown) => {
      // Fail closed: a fault while authenticating never lets the request through.
      if (isDatabaseUnavailable(err)) {
        const held = this.unavailable.pass();
        if (held !== null) {
          this.log.error(
            `authentication failed: the database is unavailable${heldBack(held)}`,
            err,
            requestContext(req),
          );
        }
        sendError(res, 'unavailable', 'authentication is unavailable; try again shortly', {
          'retry-after': '5',
        });
        return;
      }
      this.log.error(`proxying ${req.method ?? '?'} failed`, err);
      sendError(res, 'internal', 'internal error; the server log has the details');
    });
  };

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const requestId = this.requestId(req.headers['x-request-id']);
    // With the headers, so a method override is validated here too (400, before authentication).
    const target = checkRequestTarget(url, req.headers);
    if (!target.ok) {
      sendError(res, 'invalid_request', target.reason, { 'x-request-id': requestId, connection: 'close' });
      return;
    }
    const path = target.path;
    const method = req.method ?? 'GET';
    const auth = await this.gateway.authenticate({
      method,
      path,
      query: target.query,
      contentType: req.headers['content-type'],
      methodOverride: target.methodOverride,
      authorization: req.headers.authorization,
      peerIp: req.socket.remoteAddress,
      forwardedFor: req.headers['x-forwarded-for'],
      requestId,
    });
    if (!auth.allowed) {
      // The body of a refused request is never read: close the connection rather than drain it.
      sendDenial(res, auth, { 'x-request-id': requestId, ...(hasBody(req) ? { connection: 'close' } : {}) });
      return;
    }
    // A client that asked to confirm before sending its body gets the go-ahead only now, authenticated.
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    await this.forward(req, res, method, url, requestId, auth);
  }

  private upstreamHeaders(req: IncomingMessage, requestId: string, auth: AuthResult): string[] {
    const raw = req.rawHeaders;
    const extraDrop = connectionTokens(req.headers.connection);
    const dropAuthorization = auth.identity !== null;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] ?? '';
      // X_Forwarded_User and X-Forwarded-User look the same to CGI-style hosts: compare as the latter.
      const lower = name.toLowerCase().replaceAll('_', '-');
      if (this.dropped.has(lower) || extraDrop?.has(lower)) continue;
      if (dropAuthorization && lower === 'authorization') continue;
      out.push(name, raw[i + 1] ?? '');
    }
    const { client } = auth;
    const incomingXff = req.headers['x-forwarded-for'];
    const trusted = client.proxyIp !== null;
    const peer = client.proxyIp ?? client.clientIp;
    out.push('x-forwarded-for', trusted && incomingXff ? `${String(incomingXff)}, ${peer}` : peer);
    const proto = req.headers['x-forwarded-proto'];
    out.push('x-forwarded-proto', trusted && typeof proto === 'string' ? proto : 'http');
    const host = req.headers['x-forwarded-host'];
    out.push('x-forwarded-host', trusted && typeof host === 'string' ? host : (req.headers.host ?? ''));
    out.push('x-request-id', requestId);
    const id = auth.identity;
    if (id) {
      const names = this.opts.identityHeaders;
      out.push(names.user, id.user, names.tokenId, id.tokenId, names.scope, id.scope);
    }
    return out;
  }

  /**
   * Streams the exchange through undici's dispatch handler API: no stream objects or abort signals
   * per request (about half the CPU of `Pool.stream` per proxied request, measured in bench/).
   * Backpressure: when the client socket is full, the upstream read pauses until it drains.
   */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    url: string,
    requestId: string,
    auth: AuthResult,
  ): Promise<void> {
    return new Promise<void>((resolve) => {
      let controller: DispatchController | null = null;
      let started = false;
      let clientGone = false;
      const resume = (): void => controller?.resume();
      const onClose = (): void => {
        if (res.writableFinished) return;
        clientGone = true;
        controller?.abort(new Error('the client closed the connection'));
      };
      const done = (): void => {
        res.off('close', onClose);
        res.off('drain', resume);
        resolve();
      };
      res.once('close', onClose);
      const failed = (err: Error): void => {
        done();
        if (clientGone) return; // nobody left to answer
        if (started) {
          this.log.warn(
            `upstream ${this.opts.upstream.origin} failed after its response started (${(err as { code?: string }).code ?? err.message}); the client connection was cut`,
            {
              username: auth.identity?.user ?? 'anonymous',
              requestId,
              ip: auth.client.clientIp,
              url: url.split('?')[0] ?? '',
            },
          );
          res.destroy();
          return;
        }
        const failure = upstreamFailure(err);
        const path = url.split('?')[0] ?? '';
        this.log.warn(
          `upstream ${this.opts.upstream.origin} failed for ${method} ${path}: ${failure.message}`,
          { username: auth.identity?.user ?? 'anonymous', requestId, ip: auth.client.clientIp, url: path },
        );
        sendError(res, failure.status, failure.message, { 'x-request-id': requestId });
      };
      this.pool.dispatch(
        {
          path: this.basePath + url,
          method,
          headers: this.upstreamHeaders(req, requestId, auth),
          body: hasBody(req) ? req : null,
        },
        {
          onRequestStart: (c) => {
            controller = c;
            if (clientGone) c.abort(new Error('the client closed the connection'));
          },
          onResponseStart: (c, statusCode, headers) => {
            if (statusCode < 200) return; // informational answers are not relayed
            const extraDrop = connectionTokens(headers.connection);
            const out: Record<string, string | string[]> = {};
            for (const name in headers) {
              const value = headers[name];
              if (value === undefined || HOP_BY_HOP.has(name) || extraDrop?.has(name)) continue;
              out[name] = value;
            }
            if (auth.rate) Object.assign(out, rateLimitHeaders(auth.rate));
            try {
              res.writeHead(statusCode, out);
              started = true;
            } catch (err) {
              c.abort(err as Error);
            }
          },
          onResponseData: (c, chunk) => {
            if (!res.write(chunk) && !c.paused) {
              c.pause();
              res.once('drain', resume);
            }
          },
          onResponseEnd: () => {
            res.end();
            done();
          },
          onResponseError: (_c, err) => failed(err),
        },
      );
    });
  }
}
