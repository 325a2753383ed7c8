import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppContext } from '../app.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { AppError, errorBody } from '../domain/errors.js';
import { VERSION } from '../version.js';
import { BASE_PATH, buildApi, type Api } from './api/app.js';

/** How long shutdown waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 5_000;

export interface RunningServer {
  server: Server;
  api: Api;
  url: string;
  close(): Promise<void>;
}

/** Builds the management API for a context; `ready()` has been awaited. */
export interface ApiOptions {
  log?: Logger;
  metrics?: Metrics;
  /** The built web UI; default web/dist. */
  uiDir?: string;
}

export async function createApi(ctx: AppContext, opts: ApiOptions = {}): Promise<Api> {
  const log = opts.log ?? ctx.log;
  const api = buildApi({
    store: ctx.store,
    tokens: ctx.tokens,
    users: ctx.users,
    settings: ctx.settings,
    authenticator: ctx.authenticator,
    sessions: ctx.sessions,
    nodeId: ctx.config.nodeId,
    version: VERSION,
    now: ctx.now,
    logError: (m, err) => log.error(m, err),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.uiDir ? { uiDir: opts.uiDir } : {}),
  });
  await api.ready();
  return api;
}

function notProxied(_req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify(
    errorBody(new AppError('not_found', 'the gateway is not configured on this node')),
  );
  res.writeHead(404, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * One `node:http` server. Paths under `/_tokengate/` go to the management API (Fastify); every other
 * path is the gateway's, kept off the framework so the proxy path stays lean.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface RawRoutes {
  /** Every path outside /_tokengate/: the reverse proxy. */
  gateway?: Handler;
  /** /_tokengate/auth: forward-auth for nginx, Traefik and Caddy. */
  forwardAuth?: Handler;
}

/** The forward-auth path; anything after it (a query, a sub-path nginx appends) is ignored. */
export const FORWARD_AUTH_PATH = `${BASE_PATH}/auth`;

export async function startServer(
  ctx: AppContext,
  routes: RawRoutes = {},
  apiOptions: ApiOptions = {},
): Promise<RunningServer> {
  const api = await createApi(ctx, apiOptions);
  const prefix = `${BASE_PATH}/`;
  const gateway = routes.gateway ?? notProxied;
  const forwardAuth = routes.forwardAuth;
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (!url.startsWith(prefix) && url !== BASE_PATH) gateway(req, res);
    else if (
      forwardAuth &&
      url.startsWith(FORWARD_AUTH_PATH) &&
      /^[/?]?$/.test(url.charAt(FORWARD_AUTH_PATH.length))
    ) {
      forwardAuth(req, res);
    } else {
      // The management API's bodies are small JSON: no reason to make the client wait.
      if (req.headers.expect !== undefined) res.writeContinue();
      api.routing(req, res);
    }
  };
  const server = createServer(dispatch);
  // Without this listener Node answers `100 Continue` itself, before anyone authenticated the request.
  server.on('checkContinue', dispatch);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.config.port, ctx.config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    api,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests in flight get a grace period, then their connections are cut.
      const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      cut.unref();
      await closed;
      clearTimeout(cut);
      await api.close();
    },
  };
}
