import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { AuthResult, Gateway } from '../../auth/gateway.js';
import type { NamedLogger } from '../../log/log-manager.js';
import { connectionTokens, HOP_BY_HOP, rateLimitHeaders, type IdentityHeaderNames } from './headers.js';
import { isDatabaseUnavailable } from '../../store/db-errors.js';
import { checkRequestTarget } from '../../domain/auth/request-target.js';
import { sendDenial, sendError } from './respond.js';
import { heldBack, LogThrottle } from '../../log/throttle.js';
import { maskTokens } from '../../domain/audit/audit.js';
import type { LogContext } from '../../log/layout.js';
import { SESSION_COOKIE } from '../cookies.js';
import { setsCookie, withoutCookie } from './cookie-filter.js';
import { BufferBudget, readBody, watchIdle } from './body-buffer.js';
import { SlotGate } from './upstream-slots.js';

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
  /** Largest request body read into memory before an upstream connection is taken. Default 1 MiB. */
  bufferBodyBytes?: number;
  /** Bytes of request bodies in memory at once, process-wide; past it bodies stream. Default 64 MiB. */
  bufferTotalBytes?: number;
  /** Longest silence while a request body arrives (nginx's client_body_timeout); past it 408. Default 30 s. */
  clientBodyTimeoutMs?: number;
  /** Share of `connections`, in percent, that streamed request bodies may hold together. Default 50. */
  streamingPercent?: number;
  /** Streamed request bodies one client address may have in flight. Default 8. */
  streamsPerClient?: number;
  /** Longest wait for a streaming slot; past it 503 with Retry-After. Default 10 s. */
  streamWaitMs?: number;
  /**
   * Longest wait for the client to take more of a response while the upstream read is paused for it
   * (nginx's send_timeout); past it the upstream exchange is aborted and the client cut. Default 60 s.
   */
  clientSendTimeoutMs?: number;
}

/** The defaults of the optional {@link ProxyOptions}, the same as the config file's. */
type BodyOptions = Required<
  Pick<
    ProxyOptions,
    | 'bufferBodyBytes'
    | 'bufferTotalBytes'
    | 'clientBodyTimeoutMs'
    | 'streamingPercent'
    | 'streamsPerClient'
    | 'streamWaitMs'
    | 'clientSendTimeoutMs'
  >
>;

export const PROXY_BODY_DEFAULTS: Readonly<BodyOptions> = {
  bufferBodyBytes: 1_048_576,
  bufferTotalBytes: 67_108_864,
  clientBodyTimeoutMs: 30_000,
  streamingPercent: 50,
  streamsPerClient: 8,
  streamWaitMs: 10_000,
  clientSendTimeoutMs: 60_000,
};

/** A request body that made no progress for `clientBodyTimeoutMs`; answered 408. */
class ClientBodyTimeout extends Error {
  readonly code = 'TG_CLIENT_BODY_TIMEOUT';
}

/** A client that took nothing of a response for `clientSendTimeoutMs`; its connection is cut. */
class ClientSendTimeout extends Error {
  readonly code = 'TG_CLIENT_SEND_TIMEOUT';
}

/** How a body is handed to the upstream, and what to give back when the exchange ends. */
interface Outgoing {
  body: Buffer | Readable | null;
  release: () => void;
}

/** A request without a body: nothing to send, nothing held. */
const NO_BODY: Outgoing = { body: null, release: () => undefined };

const NEVER_FORWARDED = [
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  'expect',
  // Zend Framework 1 and older Symfony route on these instead of the request line: a request
  // authorised as `GET /public` would be served as whatever they name.
  'x-original-url',
  'x-rewrite-url',
];

function hasBody(req: IncomingMessage): boolean {
  return req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
}

/** The declared body length; null for a chunked body (node's parser has already checked the header). */
function declaredLength(req: IncomingMessage): number | null {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && length !== undefined ? Number(length) : null;
}

/** 408 (request_timeout) and close, as node answers a request past `server.requestTimeoutMs`. */
function sendBodyTimeout(res: ServerResponse, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, 'request_timeout', 'no request body bytes arrived within proxy.clientBodyTimeoutMs', {
    'x-request-id': requestId,
    connection: 'close',
  });
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
 * The reverse proxy: authenticate, then send the request to the upstream and stream its answer back,
 * through a pool of keep-alive connections. A request body up to `bufferBodyBytes` is read into
 * memory first, so a slow sender never holds an upstream connection; a larger one streams, holding
 * one of a bounded share of the pool (see docs/gateway.md, "Request bodies").
 */
export class Proxy {
  private readonly pool: Pool;
  private readonly basePath: string;
  /** One line per 10 s while the database is away, not one per request. */
  private readonly unavailable = new LogThrottle(10_000);
  /** Every client header that never goes upstream as sent, lower-cased once. */
  private readonly dropped: ReadonlySet<string>;
  private readonly bufferBodyBytes: number;
  private readonly clientBodyTimeoutMs: number;
  private readonly clientSendTimeoutMs: number;
  private readonly budget: BufferBudget;
  /** The upstream connections streamed request bodies may hold, in total and per client. */
  private readonly streams: SlotGate;
  /** One line per event type per 10 s: an attack would otherwise write one per request. */
  private readonly slowBodies = new LogThrottle(10_000);
  private readonly streamsBusy = new LogThrottle(10_000);
  private readonly budgetSpent = new LogThrottle(10_000);
  private readonly slowReaders = new LogThrottle(10_000);

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
    const body = { ...PROXY_BODY_DEFAULTS, ...definedOnly(opts) };
    this.bufferBodyBytes = body.bufferBodyBytes;
    this.clientBodyTimeoutMs = body.clientBodyTimeoutMs;
    this.clientSendTimeoutMs = body.clientSendTimeoutMs;
    this.budget = new BufferBudget(body.bufferTotalBytes);
    this.streams = new SlotGate(
      Math.max(1, Math.floor((opts.connections * body.streamingPercent) / 100)),
      body.streamsPerClient,
      body.streamWaitMs,
    );
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
        sendError(res, 'unavailable', 'authentication is unavailable; try again shortly');
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
    // With the raw headers, so a method override in any spelling is validated here too (400, before
    // authentication).
    const target = checkRequestTarget(url, req.rawHeaders);
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
    if (!hasBody(req)) {
      continueIfAsked(req, res);
      await this.forward(req, res, method, url, requestId, auth, NO_BODY);
      return;
    }
    const outgoing = await this.prepareBody(req, res, url, requestId, auth);
    if (outgoing !== null) await this.forward(req, res, method, url, requestId, auth, outgoing);
  }

  /**
   * Reads a small body into memory, or takes a streaming slot for a large one, before any upstream
   * connection is used. null: the request was answered (408, 503) or its client is gone.
   */
  private async prepareBody(
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    requestId: string,
    auth: AuthResult,
  ): Promise<Outgoing | null> {
    const length = declaredLength(req);
    if (length !== null && length > this.bufferBodyBytes) {
      return this.streamBody(req, res, url, requestId, auth, [], 0);
    }
    continueIfAsked(req, res);
    const read = await readBody(req, {
      maxBytes: this.bufferBodyBytes,
      idleMs: this.clientBodyTimeoutMs,
      budget: this.budget,
    });
    switch (read.kind) {
      case 'complete':
        return { body: read.body, release: () => this.budget.give(read.charged) };
      case 'overflow':
        if (read.reason === 'budget') {
          const held = this.budgetSpent.pass();
          if (held !== null) {
            this.log.warn(
              `request bodies in memory reached proxy.bufferTotalBytes (${this.budget.limit} bytes): streaming instead${heldBack(held)}`,
              this.context(auth, requestId, url),
            );
          }
        }
        return this.streamBody(req, res, url, requestId, auth, read.prefix, read.charged);
      case 'idle':
        this.bodyTimedOut(res, url, requestId, auth);
        return null;
      case 'aborted':
        return null;
    }
  }

  /**
   * A body too large to buffer streams through one of the slots that streamed bodies share; with
   * none free within `streamWaitMs` the client gets 503. `prefix` is what was read before
   * buffering gave up, `charged` its bytes in the budget.
   */
  private async streamBody(
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    requestId: string,
    auth: AuthResult,
    prefix: Buffer[],
    charged: number,
  ): Promise<Outgoing | null> {
    const ip = auth.client.clientIp;
    const slot = await this.streams.acquire(ip);
    if (slot === null) {
      this.budget.give(charged);
      const held = this.streamsBusy.pass();
      if (held !== null) {
        this.log.warn(
          `no upstream connection for a streamed request body within the wait (${this.streams.held()} of ${this.streams.capacity} in use, ${this.streams.held(ip)} by this client): answered 503${heldBack(held)}`,
          this.context(auth, requestId, url),
        );
      }
      sendError(
        res,
        'unavailable',
        'the upstream connections for large request bodies are all busy; try again shortly',
        {
          'x-request-id': requestId,
          connection: 'close',
        },
      );
      return null;
    }
    const release = (): void => {
      slot();
      this.budget.give(charged);
    };
    if (req.destroyed || res.destroyed) {
      release();
      return null;
    }
    if (prefix.length === 0) continueIfAsked(req, res);
    const body = new PassThrough();
    for (const chunk of prefix) body.write(chunk);
    // Not pipeline(): it would destroy the client's request (and socket) when undici drops the body.
    req.on('error', (err) => body.destroy(err));
    req.once('close', () => {
      if (!req.complete) body.destroy(new Error('the client closed the connection'));
    });
    req.pipe(body);
    const stopWatching = watchIdle(
      req,
      this.clientBodyTimeoutMs,
      () => body.writableNeedDrain,
      () => body.destroy(new ClientBodyTimeout('no request body bytes within proxy.clientBodyTimeoutMs')),
    );
    return {
      body,
      release: () => {
        stopWatching();
        release();
      },
    };
  }

  private bodyTimedOut(res: ServerResponse, url: string, requestId: string, auth: AuthResult): void {
    const held = this.slowBodies.pass();
    if (held !== null) {
      this.log.warn(
        `a request body made no progress for ${this.clientBodyTimeoutMs} ms: answered 408 and closed the connection${heldBack(held)}`,
        this.context(auth, requestId, url),
      );
    }
    sendBodyTimeout(res, requestId);
  }

  private readerStalled(url: string, requestId: string, auth: AuthResult): void {
    const held = this.slowReaders.pass();
    if (held !== null) {
      this.log.warn(
        `a client took no response bytes for proxy.clientSendTimeoutMs (${this.clientSendTimeoutMs} ms): aborted the upstream exchange and closed the connection${heldBack(held)}`,
        this.context(auth, requestId, url),
      );
    }
  }

  private context(auth: AuthResult, requestId: string, url: string): LogContext {
    return {
      username: auth.identity?.user ?? 'anonymous',
      requestId,
      ip: auth.client.clientIp,
      url: maskTokens(url.split('?')[0] ?? ''),
    };
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
      if (lower === 'cookie') {
        // The management session is never the upstream's to see or replay (issue 14, finding 1).
        const kept = withoutCookie(raw[i + 1] ?? '', SESSION_COOKIE);
        if (kept !== null) out.push(name, kept);
        continue;
      }
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
   * Backpressure: when the client socket is full, the upstream read pauses until it drains, for at
   * most `clientSendTimeoutMs`: undici's bodyTimeout does not run while paused, so without this a
   * client that never reads would hold a pooled connection for as long as it stays connected.
   */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    url: string,
    requestId: string,
    auth: AuthResult,
    outgoing: Outgoing,
  ): Promise<void> {
    return new Promise<void>((resolve) => {
      let controller: DispatchController | null = null;
      let started = false;
      let clientGone = false;
      let stalled: NodeJS.Timeout | undefined;
      const resume = (): void => {
        clearTimeout(stalled);
        controller?.resume();
      };
      const sendTimedOut = (): void => {
        this.readerStalled(url, requestId, auth);
        controller?.abort(new ClientSendTimeout('the client took nothing within proxy.clientSendTimeoutMs'));
        res.destroy();
      };
      const onClose = (): void => {
        if (res.writableFinished) return;
        clientGone = true;
        controller?.abort(new Error('the client closed the connection'));
      };
      const done = (): void => {
        clearTimeout(stalled);
        res.off('close', onClose);
        res.off('drain', resume);
        outgoing.release();
        resolve();
      };
      res.once('close', onClose);
      const failed = (err: Error): void => {
        done();
        if (clientGone || err instanceof ClientSendTimeout) return; // nobody left to answer
        if (err instanceof ClientBodyTimeout) {
          this.bodyTimedOut(res, url, requestId, auth);
          return;
        }
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
      // A synchronous throw (a header undici refuses) still gives back what the request holds.
      try {
        this.pool.dispatch(
          {
            path: this.basePath + url,
            method,
            headers: this.upstreamHeaders(req, requestId, auth),
            body: outgoing.body,
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
                if (name === 'set-cookie') {
                  const kept = withoutSessionCookie(value);
                  if (kept.length > 0) out[name] = kept;
                  continue;
                }
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
                stalled = setTimeout(sendTimedOut, this.clientSendTimeoutMs);
              }
            },
            onResponseEnd: () => {
              res.end();
              done();
            },
            onResponseError: (_c, err) => failed(err),
          },
        );
      } catch (err) {
        done();
        throw err;
      }
    });
  }
}

/**
 * The upstream's Set-Cookie values without any that would set the management session cookie: the
 * admin UI on another port of the same host would receive it (cookies ignore ports) and act with a
 * session the upstream chose. The others keep their bytes and order.
 */
function withoutSessionCookie(value: string | string[]): string[] {
  return (Array.isArray(value) ? value : [value]).filter((v) => !setsCookie(v, SESSION_COOKIE));
}

/** A client that asked to confirm before sending its body gets the go-ahead only now, authenticated. */
function continueIfAsked(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
}

/** The options that are set: `undefined` must not override a default when spread. */
function definedOnly(opts: ProxyOptions): Partial<BodyOptions> {
  const out: Partial<BodyOptions> = {};
  for (const key of Object.keys(PROXY_BODY_DEFAULTS) as Array<keyof BodyOptions>) {
    const value = opts[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
