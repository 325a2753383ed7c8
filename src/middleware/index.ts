import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { loadConfig, type Config, type ConfigFlags } from '../config/config.js';
import type { AuthResult, Identity } from '../auth/gateway.js';
import { duplicateHeader, rateLimitHeaders } from '../http/edge/headers.js';
import { requestIds } from '../http/request-id.js';
import { normalizeSocketIp } from '../domain/auth/client-ip.js';
import { checkRequestTarget } from '../domain/auth/request-target.js';
import { sendDenial } from '../http/edge/respond.js';
import { startRuntime, type GatewayRuntime } from '../node.js';

/**
 * tokengate embedded in a Node application: the same authentication decision as the gateway, on the
 * application's own requests, with the same database, settings, rate limits and log file.
 *
 * ```ts
 * const tg = await createTokengate({ db: 'postgres://…' });
 * app.use(tg.express());                 // Express / Connect
 * await fastify.register(tg.fastify);    // Fastify
 * const r = await tg.authenticate(req);  // anything else
 * ```
 */
export interface TokengateOptions extends Omit<ConfigFlags, 'port' | 'host' | 'upstream'> {
  /** Adjust the loaded configuration, e.g. `c => { c.log.file = false }`. */
  configure?: (config: Config) => void;
  /** Where a first-start admin password would be printed. Default: stderr. */
  show?: (text: string) => void;
  /**
   * Once a token authenticated a request, remove its `Authorization` header (from `headers`,
   * `rawHeaders` and `headersDistinct`), as the gateway does, so the application cannot log or
   * forward the secret. Default `true`; `false` leaves the header (passwords and foreign Bearer values
   * that tokengate passed on are never removed).
   */
  stripToken?: boolean;
}

/** What a request carries after authentication; the identity is null for anonymous and passed-on requests. */
export interface TokengateRequestInfo {
  outcome: AuthResult['outcome']['kind'];
  identity: Identity | null;
  clientIp: string;
  proxyIp: string | null;
  requestId: string;
}

/** The request shape `authenticate` needs: Node's IncomingMessage fits, as do framework requests. */
export interface RequestLike {
  method?: string | undefined;
  url?: string | undefined;
  /** Express keeps the full path here when a middleware is mounted on a path. */
  originalUrl?: string | undefined;
  headers: IncomingMessage['headers'];
  /** Node keeps every header line here too; spoofed identity headers are dropped from it as well. */
  rawHeaders?: string[] | undefined;
  socket?: { remoteAddress?: string | undefined } | undefined;
}

export interface Tokengate {
  /** The decision for one request. Does not answer it: see `express()` and `fastify` for that. */
  authenticate(req: RequestLike): Promise<AuthResult & { requestId: string }>;
  /** Express/Connect middleware: answers refusals itself, else sets `req.tokengate` and calls `next()`. */
  express(): (
    req: IncomingMessage & { tokengate?: TokengateRequestInfo },
    res: ServerResponse,
    next: (err?: unknown) => void,
  ) => void;
  /** A Fastify plugin (not encapsulated): an onRequest hook that refuses or sets `request.tokengate`. */
  fastify: FastifyPluginLike;
  runtime: GatewayRuntime;
  close(): Promise<void>;
}

/** Structural types, so the package does not force a Fastify version on the application. */
interface FastifyLikeInstance {
  decorateRequest(name: string, value: unknown): unknown;
  addHook(
    name: 'onRequest',
    hook: (
      request: { raw: IncomingMessage; tokengate?: TokengateRequestInfo },
      reply: { raw: ServerResponse; hijack(): void },
    ) => Promise<void>,
  ): unknown;
}
export type FastifyPluginLike = ((instance: FastifyLikeInstance) => Promise<void>) & {
  [key: symbol]: unknown;
};

/** X_Forwarded_User reaches CGI-style code as X-Forwarded-User: compare with '_' read as '-'. */
function stripped(name: string, names: ReadonlySet<string>): boolean {
  return names.has(name.toLowerCase().replaceAll('_', '-'));
}

/**
 * Drops headers by name, in every spelling and every copy: from `headers`, and from Node's
 * `rawHeaders` and `headersDistinct` (which frameworks and proxies-in-the-app read too). Identity
 * headers a client sent go, so an application that reads them cannot be fooled; and with `stripToken`
 * the token that authenticated the request.
 */
function stripHeaders(req: RequestLike, names: ReadonlySet<string>): void {
  for (const name of Object.keys(req.headers))
    if (stripped(name, names)) Reflect.deleteProperty(req.headers, name);
  const raw = req.rawHeaders;
  if (!Array.isArray(raw)) return;
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (!stripped(name, names)) kept.push(name, raw[i + 1] ?? '');
  }
  if (kept.length === raw.length) return;
  // Node builds headersDistinct from rawHeaders on first use, reading as many entries as arrived:
  // build it (or take the one built already) before rawHeaders shrinks, and clean it too.
  const distinct = (req as { headersDistinct?: Record<string, string[]> }).headersDistinct;
  if (distinct)
    for (const name of Object.keys(distinct))
      if (stripped(name, names)) Reflect.deleteProperty(distinct, name);
  raw.splice(0, raw.length, ...kept);
}

const AUTHORIZATION: ReadonlySet<string> = new Set(['authorization']);

function info(r: AuthResult, requestId: string): TokengateRequestInfo {
  return {
    outcome: r.outcome.kind,
    identity: r.identity,
    clientIp: r.client.clientIp,
    proxyIp: r.client.proxyIp,
    requestId,
  };
}

/** 403 for a request refused before authentication: a bad request target or two Authorization headers. */
function malformed(
  peerAddress: string | undefined,
  message: string,
  requestId: string,
): AuthResult & { requestId: string } {
  const peer = normalizeSocketIp(peerAddress);
  return {
    outcome: { kind: 'denied', status: 403, reason: 'malformed', username: null, token: null },
    client: { clientIp: peer, proxyIp: null },
    allowed: false,
    identity: null,
    status: 403,
    message,
    rate: null,
    requestId,
  };
}

export async function createTokengate(opts: TokengateOptions = {}): Promise<Tokengate> {
  const { configure, show, stripToken = true, ...flags } = opts;
  const config = loadConfig(flags);
  // An embedded instance is not the `serve` node on this host's port: unless a node id was configured
  // (option, environment or config file), it is `<hostname>:app`, stable across restarts so its
  // unshipped audit records are picked up by its next run.
  if (config.nodeId === `${hostname()}:${config.port}`) config.nodeId = `${hostname()}:app`;
  config.log.console = false;
  configure?.(config);
  const runtime = await startRuntime(config, {
    show: show ?? ((t) => process.stderr.write(`${t}\n`)),
    thread: 'app',
  });
  const ids = requestIds();
  const strip = new Set([
    config.identityHeaders.user,
    config.identityHeaders.tokenId,
    config.identityHeaders.scope,
    ...config.stripHeaders,
  ]);

  const authenticate: Tokengate['authenticate'] = async (req) => {
    const url = req.originalUrl ?? req.url ?? '/';
    // The raw headers where the framework kept them: every spelling of an override header is seen.
    const target = checkRequestTarget(url, req.rawHeaders ?? req.headers);
    const requestId = ids(req.headers['x-request-id']);
    stripHeaders(req, strip);
    // Node keeps the first of two Authorization headers; an application behind might read the other.
    const twice = req.rawHeaders && duplicateHeader(req.rawHeaders, ['authorization']) !== null;
    if (!target.ok || twice) {
      const why = target.ok ? 'the request has more than one authorization header' : target.reason;
      return malformed(req.socket?.remoteAddress, why, requestId);
    }
    const result = await runtime.gateway.authenticate({
      method: (req.method ?? 'GET').toUpperCase(),
      path: target.path,
      query: target.query,
      contentType: req.headers['content-type'],
      methodOverride: target.methodOverride,
      authorization: req.headers.authorization,
      peerIp: req.socket?.remoteAddress,
      forwardedFor: req.headers['x-forwarded-for'],
      requestId,
    });
    if (stripToken && result.identity !== null) stripHeaders(req, AUTHORIZATION);
    return Object.assign(result, { requestId });
  };

  const express: Tokengate['express'] = () => (req, res, next) => {
    authenticate(req)
      .then((r) => {
        if (!r.allowed) {
          sendDenial(res, r, { 'x-request-id': r.requestId });
          return;
        }
        if (r.rate) for (const [k, v] of Object.entries(rateLimitHeaders(r.rate))) res.setHeader(k, v);
        req.tokengate = info(r, r.requestId);
        next();
      })
      .catch(next);
  };

  const plugin = async (instance: FastifyLikeInstance): Promise<void> => {
    instance.decorateRequest('tokengate', null);
    instance.addHook('onRequest', async (request, reply) => {
      const r = await authenticate(request.raw);
      if (!r.allowed) {
        reply.hijack();
        sendDenial(reply.raw, r, { 'x-request-id': r.requestId });
        return;
      }
      if (r.rate) for (const [k, v] of Object.entries(rateLimitHeaders(r.rate))) reply.raw.setHeader(k, v);
      request.tokengate = info(r, r.requestId);
    });
  };
  // Like fastify-plugin: the hook applies to the whole application, not only inside this plugin.
  const fastify: FastifyPluginLike = Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'tokengate',
  });

  return { authenticate, express, fastify, runtime, close: () => runtime.close() };
}

export type { AuthResult, Identity } from '../auth/gateway.js';
export type { Config } from '../config/config.js';
