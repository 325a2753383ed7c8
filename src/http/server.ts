import type { Notifier } from '../notify/notifier.js';
import { COMPAT_RESOLUTION_PATH } from './api/routes/compat-resolution.js';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { isIP } from 'node:net';
import { bindServer, listenerUrl } from './listening.js';
import type { AppContext } from '../app.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { sendError } from './edge/respond.js';
import { duplicateHeader } from './edge/headers.js';
import { VERSION } from '../version.js';
import { BASE_PATH, buildApi, type Api, type Plane } from './api/app.js';
import type { UserProvisioning } from '../identity/provisioning.js';
import { buildUiIdentity } from '../identity/ui-identity.js';
import { SSO_PATH } from '../identity/browser-sso.js';
import { readTlsMaterial, type TlsMaterial } from '../config/tls.js';

/** How long shutdown waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 5_000;

export interface RunningServer {
  /** The gateway's listener: the proxy, forward-auth, health, secret scanning, the compatibility API. */
  server: Server;
  /** The management plane's own listener (config adminPort); null when it is off. */
  adminServer: Server | null;
  /** The management plane: web UI, sign-in, management API, metrics. */
  api: Api;
  /** What the gateway's listener answers under /_tokengate/ besides forward-auth. */
  gatewayApi: Api;
  url: string;
  /** Where the web UI and the management API are; null without an admin listener. */
  adminUrl: string | null;
  /**
   * Reads the TLS listeners' certificate and key files again and uses them for new connections;
   * open connections keep theirs (SIGHUP). A file that cannot be read or used keeps the old
   * certificate on that listener and is reported. No TLS listener: an empty list.
   */
  reloadTls(): TlsReload[];
  close(): Promise<void>;
}

/** One listener's outcome of {@link RunningServer.reloadTls}. */
export interface TlsReload {
  /** The config section: `tls` (the gateway's listener) or `adminTls`. */
  listener: 'tls' | 'adminTls';
  /** null: the new certificate is in use; otherwise why the old one stays. */
  error: string | null;
}

/** Builds the management API for a context; `ready()` has been awaited. */
export interface ApiOptions {
  log?: Logger;
  metrics?: Metrics;
  /** Tells token owners about leaked and reused tokens. */
  notifier?: Notifier;
  /** The built web UI; default web/dist. */
  uiDir?: string;
  /** Which routes: the management plane (default) or the gateway's. */
  plane?: Plane;
  /**
   * A serving node's management authentication and sessions (with its brute-force guard and
   * reporter, main/modules/auth.ts); default the context's, which have neither.
   */
  auth?: Pick<AppContext, 'authenticator' | 'sessions'>;
  /** Creates the users OIDC and SSO headers vouch for; default the context's. */
  provisioning?: UserProvisioning;
}

export async function createApi(ctx: AppContext, opts: ApiOptions = {}): Promise<Api> {
  const log = opts.log ?? ctx.log;
  // The gateway's plane serves no sign-in: only the management plane reads the identity config.
  const identity =
    opts.plane === 'gateway'
      ? null
      : await buildUiIdentity(
          ctx.config.identity,
          ctx.store,
          opts.provisioning ?? ctx.provisioning,
          log,
          ctx.now(),
        );
  const api = buildApi({
    store: ctx.store,
    tokens: ctx.tokens,
    users: ctx.users,
    settings: ctx.settings,
    authenticator: (opts.auth ?? ctx).authenticator,
    sessions: (opts.auth ?? ctx).sessions,
    nodeId: ctx.config.nodeId,
    version: VERSION,
    now: ctx.now,
    logError: (m, err) => log.error(m, err),
    bodyLimit: ctx.config.server.maxApiBodyBytes,
    secretScanning: ctx.config.secretScanning,
    compatResolutionApi: ctx.config.compat.resolutionApi,
    ...(opts.notifier ? { notifier: opts.notifier } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.uiDir ? { uiDir: opts.uiDir } : {}),
    ...(opts.plane ? { plane: opts.plane } : {}),
    identity,
  });
  await api.ready();
  return api;
}

function notProxied(_req: IncomingMessage, res: ServerResponse): void {
  sendError(res, 'not_found', 'the gateway is not configured on this node');
}

/**
 * The gateway's listener sends paths under `/_tokengate/` to forward-auth or to its own small
 * Fastify instance; every other path is the proxy's, kept off the framework so it stays lean.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface RawRoutes {
  /** Every path outside /_tokengate/: the reverse proxy. */
  gateway?: Handler;
  /** /_tokengate/auth: forward-auth for nginx, Traefik and Caddy. */
  forwardAuth?: Handler;
  /** /_tokengate/sso/…: browsers' sign-in at the gateway (auth.browser). */
  browserSso?: Handler;
}

/** The browser sign-in routes' prefix (auth.browser). */
const SSO_ROUTES = `${SSO_PATH}/`;

/** The forward-auth path; anything after it (a query, a sub-path nginx appends) is ignored. */
export const FORWARD_AUTH_PATH = `${BASE_PATH}/auth`;

/**
 * Headers a request may carry once. Node keeps the first of two Authorization, Host or Content-Type
 * lines and drops the other, while the proxy forwards the raw headers: an upstream could then read
 * the one we did not check (the git read preset judges Content-Type). RFC 9112 §3.2 asks for 400 on
 * a second Host; Content-Type is a singleton field (RFC 9110 §8.3).
 */
const SINGLE_HEADERS = ['authorization', 'host', 'content-type'];

/** On forward-auth also the original method and URI: a proxy that copies the client's may add a second. */
const SINGLE_FORWARD_AUTH_HEADERS = [
  ...SINGLE_HEADERS,
  'x-original-method',
  'x-original-uri',
  'x-forwarded-method',
  'x-forwarded-uri',
  'x-original-url',
];

/**
 * Why node's parser let a request through that we still refuse, or null. Node takes `GET /x` with no
 * version (HTTP/0.9) and versions such as HTTP/2.0 or 0.9 in the request line; we speak 1.0 and 1.1.
 */
function refusal(req: IncomingMessage, isForwardAuth: boolean): string | null {
  if (req.httpVersionMajor !== 1) {
    return `HTTP/${req.httpVersion} is not supported; send HTTP/1.1 (or 1.0)`;
  }
  const twice = duplicateHeader(req.rawHeaders, isForwardAuth ? SINGLE_FORWARD_AUTH_HEADERS : SINGLE_HEADERS);
  return twice === null ? null : `the request has more than one ${twice} header`;
}

/** Refuses a request before any route: 400, or 403 on forward-auth (nginx turns a 400 into 500). */
function refuse(res: ServerResponse, message: string, forwardAuth: boolean): void {
  // The body, if any, is never read: close the connection rather than drain it.
  sendError(res, forwardAuth ? 'forbidden' : 'invalid_request', message, { connection: 'close' });
}

/**
 * How often node looks for connections past the headers or request timeout: a fraction of the
 * shortest one, so a slow client is cut close to its deadline, and never less often than node's 30 s.
 */
function checkingInterval(limits: Config['server']): number {
  const shortest = Math.min(
    limits.headersTimeoutMs,
    limits.requestTimeoutMs === 0 ? Infinity : limits.requestTimeoutMs,
  );
  return Math.min(30_000, Math.max(50, Math.floor(shortest / 4)));
}

/** A path under the seed app's REST API: the prefix, then the end, `/` or `?`. */
function isCompatPath(url: string): boolean {
  return url.startsWith(COMPAT_RESOLUTION_PATH) && /^[/?]?$/.test(url.charAt(COMPAT_RESOLUTION_PATH.length));
}

/** The Host header's name, lower-cased, without its port. */
function hostNameOf(host: string | undefined): string {
  if (host === undefined) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/** Refuses what node let through (see `refusal`), then hands the request on. */
function guarded(handle: Handler, isForwardAuth: (url: string) => boolean = () => false): Handler {
  return (req, res) => {
    const forwardAuth = isForwardAuth(req.url ?? '/');
    const refused = refusal(req, forwardAuth);
    if (refused !== null) refuse(res, refused, forwardAuth);
    else handle(req, res);
  };
}

/** Serves a Fastify instance on a raw listener; its small JSON bodies need no confirmation. */
function routing(api: Api): Handler {
  return (req, res) => {
    if (req.headers.expect !== undefined) res.writeContinue();
    api.routing(req, res);
  };
}

/** True for an interface only this machine reaches: 127.0.0.0/8, ::1, localhost. */
function isLoopbackInterface(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/**
 * The host names a browser may address a loopback admin listener by: IP literals, `localhost` and
 * its subdomains, single-label names (this machine's own name: Debian maps it to 127.0.1.1; no
 * outside site controls how they resolve), and `adminHostName`. Any other name is a DNS-rebinding
 * page of someone else's site that resolved to 127.0.0.1; it could drive sign-in guesses from the
 * administrator's own address (and earn that address a block). Requests without Host pass.
 */
export function loopbackHostAllowed(host: string | undefined, adminHostName: string | null): boolean {
  const name = hostNameOf(host);
  if (name === '' || name === 'localhost' || name.endsWith('.localhost')) return true;
  if (!name.includes('.') && !name.startsWith('[')) return true;
  if (adminHostName !== null && name === adminHostName) return true;
  return isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}

/** The admin listener's `/`: where the web UI is. Everything else is the management plane's. */
function adminHandler(api: Api, checkHost: ((host: string | undefined) => boolean) | null = null): Handler {
  const route = routing(api);
  return (req, res) => {
    if (checkHost !== null && !checkHost(req.headers.host)) {
      sendError(
        res,
        'forbidden',
        `the admin listener is on a loopback interface and answers only IP addresses, localhost, this machine's own name and adminHostName, not Host ${JSON.stringify(hostNameOf(req.headers.host)).slice(0, 80)}`,
        { connection: 'close' },
      );
      return;
    }
    if (req.url === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(302, { location: `${BASE_PATH}/`, 'content-length': 0, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    route(req, res);
  };
}

/** A TLS listener's certificate, key and client CAs, as `node:https` and `setSecureContext` take them. */
function secureOptions(tls: TlsMaterial): { cert: Buffer; key: Buffer; ca?: Buffer } {
  return tls.ca === undefined
    ? { cert: tls.cert, key: tls.key }
    : { cert: tls.cert, key: tls.key, ca: tls.ca };
}

/** A listener: plain HTTP, or HTTPS with `tls` (HTTP/1.1 either way: no ALPN h2). */
function createListener(handler: Handler, limits: Config['server'], tls: TlsMaterial | null): Server {
  const options: ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: checkingInterval(limits),
  };
  if (tls === null) return createServer(options, handler);
  // With client CAs, a client without a certificate they signed fails the handshake itself.
  const clientCerts = tls.ca === undefined ? {} : { requestCert: true, rejectUnauthorized: true };
  return createHttpsServer({ ...options, ...secureOptions(tls), ...clientCerts }, handler);
}

async function listen(
  handler: Handler,
  port: number,
  host: string,
  limits: Config['server'],
  tls: TlsMaterial | null = null,
): Promise<{ server: Server; url: string }> {
  const server = createListener(handler, limits, tls);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // maxHeaderBytes bounds the headers. Node's count limit (about a thousand lines) would drop the rest
  // silently: a credential past it would go unchecked here yet reach the upstream behind forward-auth.
  server.maxHeadersCount = 0;
  // Without this listener Node answers `100 Continue` itself, before anyone authenticated the request.
  server.on('checkContinue', handler);
  await bindServer(server, port, host);
  return { server, url: listenerUrl(server, tls === null ? 'http' : 'https') };
}

/** Puts the section's current files in use on `server` for new connections; see RunningServer.reloadTls. */
function reloadListener(
  server: Server,
  listener: TlsReload['listener'],
  section: Parameters<typeof readTlsMaterial>[0],
): TlsReload {
  try {
    const tls = readTlsMaterial(section, listener);
    if (tls === null) return { listener, error: `${listener}.certFile is no longer set` };
    (server as unknown as HttpsServer).setSecureContext(secureOptions(tls));
    return { listener, error: null };
  } catch (err) {
    // A key that does not match the certificate, or a file that is not PEM: OpenSSL's words.
    return { listener, error: err instanceof Error ? err.message : String(err) };
  }
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Requests in flight get a grace period, then their connections are cut.
  const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  cut.unref();
  await closed;
  clearTimeout(cut);
}

/**
 * Starts the gateway's listener and, unless `adminPort` is off, the admin listener. The proxied
 * application's pages run with the gateway's origin, so the management plane (web UI, sign-in,
 * management API, metrics) is never served there: only on the admin listener, or on the gateway's
 * listener for requests addressed to `adminHostName`, a different origin.
 */
export async function startServer(
  ctx: AppContext,
  routes: RawRoutes = {},
  apiOptions: ApiOptions = {},
): Promise<RunningServer> {
  const { config } = ctx;
  // Read before anything starts: a bad file is a configuration error naming its key.
  const frontTls = readTlsMaterial(config.tls, 'tls');
  const adminTls = config.adminPort === null ? null : readTlsMaterial(config.adminTls, 'adminTls');
  const api = await createApi(ctx, { ...apiOptions, plane: 'management' });
  const gatewayApi = await createApi(ctx, { ...apiOptions, plane: 'gateway' });
  const prefix = `${BASE_PATH}/`;
  const gateway = routes.gateway ?? notProxied;
  const forwardAuth = routes.forwardAuth;
  // The seed app's REST API paths are answered here instead of being proxied (docs/migration.md).
  const compat = config.compat.resolutionApi;
  const adminHostName = config.adminHostName;
  const management = adminHandler(api);
  const own = routing(gatewayApi);
  const isForwardAuth = (url: string): boolean =>
    forwardAuth !== undefined &&
    url.startsWith(FORWARD_AUTH_PATH) &&
    /^[/?]?$/.test(url.charAt(FORWARD_AUTH_PATH.length));
  const browserSso = routes.browserSso;
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (adminHostName !== null && hostNameOf(req.headers.host) === adminHostName) management(req, res);
    else if (!url.startsWith(prefix) && url !== BASE_PATH && !(compat && isCompatPath(url)))
      gateway(req, res);
    else if (forwardAuth !== undefined && isForwardAuth(url)) forwardAuth(req, res);
    else if (browserSso !== undefined && url.startsWith(SSO_ROUTES)) browserSso(req, res);
    else own(req, res);
  };
  const limits = config.server;
  const front = await listen(guarded(dispatch, isForwardAuth), config.port, config.host, limits, frontTls);
  let admin: { server: Server; url: string } | null = null;
  if (config.adminPort !== null) {
    try {
      // On loopback, only loopback host names: a DNS-rebinding page must not reach it.
      const loopback = isLoopbackInterface(config.adminHost);
      const checked = loopback
        ? adminHandler(api, (host) => loopbackHostAllowed(host, adminHostName))
        : management;
      admin = await listen(guarded(checked), config.adminPort, config.adminHost, limits, adminTls);
    } catch (err) {
      await closeServer(front.server);
      await Promise.all([api.close(), gatewayApi.close()]);
      throw err;
    }
  }
  return {
    server: front.server,
    adminServer: admin?.server ?? null,
    api,
    gatewayApi,
    url: front.url,
    adminUrl: admin?.url ?? null,
    reloadTls: () => [
      ...(frontTls === null ? [] : [reloadListener(front.server, 'tls', config.tls)]),
      ...(admin === null || adminTls === null
        ? []
        : [reloadListener(admin.server, 'adminTls', config.adminTls)]),
    ],
    close: async () => {
      await Promise.all([closeServer(front.server), admin ? closeServer(admin.server) : undefined]);
      await Promise.all([api.close(), gatewayApi.close()]);
    },
  };
}
