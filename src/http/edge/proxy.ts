import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { AuthResult, Gateway } from '../../auth/gateway.js';
import type { NamedLogger } from '../../log/log-manager.js';
import { checkRequestTarget } from '../../domain/auth/request-target.js';
import { sendDenial, sendError } from './respond.js';
import { sendSignInRedirect, signInRedirect } from './browser-sso.js';
import { gatewaySessionCookie } from './cookie-filter.js';
import { heldBack, LogThrottle } from '../../log/throttle.js';
import { BufferBudget, readBody, watchIdle } from './body-buffer.js';
import { SlotGate } from './upstream-slots.js';
import { withBodyDefaults, type ProxyOptions } from './proxy-options.js';
import {
  continueIfAsked,
  declaredLength,
  droppedHeaders,
  hasBody,
  upstreamRequestHeaders,
  upstreamResponseHeaders,
  withheldCookies,
  type HeaderRules,
} from './proxy-request.js';
import {
  authenticatedContext,
  ClientBodyTimeout,
  ClientSendTimeout,
  sendBodyTimeout,
  sendFault,
  upstreamFailure,
} from './proxy-errors.js';
import type { AnswerCounter, UpstreamMetrics } from '../../metrics/request-metrics.js';
import type { Observation, RequestObserver } from '../../tracing/observation.js';

type DispatchController = Dispatcher.DispatchController;

/** How a body is handed to the upstream, and what to give back when the exchange ends. */
interface Outgoing {
  body: Buffer | Readable | null;
  release: () => void;
}

/** What the proxy counts: its answers by status class, the upstream's latency and failures. */
export interface ProxyMetrics {
  answers: AnswerCounter;
  upstream: UpstreamMetrics;
}

/** A request without a body: nothing to send, nothing held. */
const NO_BODY: Outgoing = { body: null, release: () => undefined };

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
  /** The client headers and cookies that never go upstream as sent, and the identity headers' names. */
  private readonly headerRules: HeaderRules;
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
    private readonly metrics: ProxyMetrics | null = null,
    /** The access log and tracing; null when both are off (no clock read, no allocation per request). */
    private readonly observer: RequestObserver | null = null,
  ) {
    this.pool = new Pool(opts.upstream.origin, {
      connections: opts.connections,
      connectTimeout: opts.connectTimeoutMs,
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
      keepAliveTimeout: 4_000,
    });
    const body = withBodyDefaults(opts);
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
    this.headerRules = {
      dropped: droppedHeaders(opts.identityHeaders, opts.stripHeaders),
      identityHeaders: opts.identityHeaders,
      withheld: withheldCookies(opts.browser ?? null),
    };
  }

  /** The request listener for every path outside /_tokengate/. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const obs = this.observer === null ? null : this.observer.begin(req, 'proxy');
    // Both branches in one then(): no promise more than a catch() alone.
    this.serve(req, res, obs).then(
      () => this.answered(res, obs),
      (err: unknown) => {
        sendFault(req, res, err, this.log, this.unavailable);
        this.answered(res, obs);
      },
    );
  };

  /** Counts an answer by its status class (a client gone before any answer is not) and logs it. */
  private answered(res: ServerResponse, obs: Observation | null): void {
    if (res.headersSent) this.metrics?.answers.answered(res.statusCode);
    if (obs !== null) obs.finish(res);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async serve(req: IncomingMessage, res: ServerResponse, obs: Observation | null): Promise<void> {
    const url = req.url ?? '/';
    const requestId = this.requestId(req.headers['x-request-id']);
    if (obs !== null) obs.requestId = requestId;
    // With the raw headers: a method override in any spelling is refused here too (400, before auth).
    const target = checkRequestTarget(url, req.rawHeaders);
    if (!target.ok) {
      sendError(res, 'invalid_request', target.reason, { 'x-request-id': requestId, connection: 'close' });
      return;
    }
    const path = target.path;
    const method = req.method ?? 'GET';
    const sso = this.opts.browser;
    if (obs !== null) obs.authStarted();
    const auth = await this.gateway.authenticate({
      method,
      path,
      query: target.query,
      contentType: req.headers['content-type'],
      methodOverride: target.methodOverride,
      authorization: req.headers.authorization,
      sessionCookie: sso ? gatewaySessionCookie(req.headers.cookie, sso.cookieName) : null,
      peerIp: req.socket.remoteAddress,
      forwardedFor: req.headers['x-forwarded-for'],
      requestId,
    });
    if (obs !== null) obs.authEnded(auth);
    if (!auth.allowed) {
      // The body of a refused request is never read: close the connection rather than drain it.
      const extra = { 'x-request-id': requestId, ...(hasBody(req) ? { connection: 'close' } : {}) };
      const signIn = signInRedirect(sso, auth, method, req.headers, url);
      if (signIn !== null) sendSignInRedirect(res, signIn, extra);
      else sendDenial(res, auth, extra);
      return;
    }
    if (!hasBody(req)) {
      continueIfAsked(req, res);
      await this.forward(req, res, method, url, requestId, auth, NO_BODY, obs);
      return;
    }
    const outgoing = await this.prepareBody(req, res, url, requestId, auth);
    if (outgoing !== null) await this.forward(req, res, method, url, requestId, auth, outgoing, obs);
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
              authenticatedContext(auth, requestId, url),
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
          authenticatedContext(auth, requestId, url),
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
        authenticatedContext(auth, requestId, url),
      );
    }
    sendBodyTimeout(res, requestId);
  }

  private readerStalled(url: string, requestId: string, auth: AuthResult): void {
    const held = this.slowReaders.pass();
    if (held !== null) {
      this.log.warn(
        `a client took no response bytes for proxy.clientSendTimeoutMs (${this.clientSendTimeoutMs} ms): aborted the upstream exchange and closed the connection${heldBack(held)}`,
        authenticatedContext(auth, requestId, url),
      );
    }
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
    obs: Observation | null,
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
        this.metrics?.upstream.failed(failure.status);
        if (obs !== null) obs.upstreamFailed(failure.message);
        const path = url.split('?')[0] ?? '';
        this.log.warn(
          `upstream ${this.opts.upstream.origin} failed for ${method} ${path}: ${failure.message}`,
          { username: auth.identity?.user ?? 'anonymous', requestId, ip: auth.client.clientIp, url: path },
        );
        sendError(res, failure.status, failure.message, { 'x-request-id': requestId });
      };
      const sent = this.metrics === null ? 0 : performance.now();
      const traceparent = obs === null ? null : obs.upstreamStarted();
      // A synchronous throw (a header undici refuses) still gives back what the request holds.
      try {
        this.pool.dispatch(
          {
            path: this.basePath + url,
            method,
            headers: upstreamRequestHeaders(req, requestId, auth, this.headerRules, traceparent),
            body: outgoing.body,
          },
          {
            onRequestStart: (c) => {
              controller = c;
              if (clientGone) c.abort(new Error('the client closed the connection'));
            },
            onResponseStart: (c, statusCode, headers) => {
              if (statusCode < 200) return; // informational answers are not relayed
              this.metrics?.upstream.duration.observe((performance.now() - sent) / 1000);
              if (obs !== null) obs.upstreamAnswered(statusCode);
              const out = upstreamResponseHeaders(headers, auth.rate, this.headerRules.withheld);
              try {
                res.writeHead(statusCode, out);
                started = true;
              } catch (err) {
                c.abort(err as Error);
              }
            },
            onResponseData: (c, chunk) => {
              if (obs !== null) obs.bytes += chunk.length;
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
