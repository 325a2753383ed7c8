import { compatResolutionRoutes, COMPAT_RESOLUTION_PATH } from './routes/compat-resolution.js';
import { secretScanningRoutes } from './routes/secret-scanning.js';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { maskTokens } from '../../domain/audit/audit.js';
import type { Principal } from '../../domain/auth/permissions.js';
import { resolveClientAddress, type ClientAddress } from '../../domain/auth/client-ip.js';
import { API_PATH, BASE_PATH, type ApiDeps, type Plane } from './context.js';
import { errorHandler, sendError, toAppError } from './errors.js';
import { AppError } from '../../domain/errors.js';
import { adminAuditRoutes } from './routes/admin-audit.js';
import { adminLogLevelRoutes } from './routes/admin-log-levels.js';
import { sessionRoutes, trustedSsoUser } from './routes/session.js';
import { oidcRoutes } from './routes/oidc.js';
import { OIDC_UI_PATH } from '../../identity/ui-identity.js';
import { adminStatsRoutes } from './routes/admin-stats.js';
import { uiRoutes } from './routes/ui.js';
import { crossOriginReason, readSessionCookie } from '../cookies.js';
import { adminSettingsRoutes } from './routes/admin-settings.js';
import { adminTokenRoutes } from './routes/admin-tokens.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { meRoutes } from './routes/me.js';
import { tokenRoutes } from './routes/tokens.js';
import { makeValidatorCompiler } from './validation.js';
import { openApiOptions } from './openapi.js';
import { RouteMethods } from './route-methods.js';

// The routes' shared pieces live in context.ts (no import cycle); re-exported for existing importers.
export type { ApiDeps, Plane } from './context.js';

export { API_PATH, BASE_PATH } from './context.js';

/** Largest JSON body the management API accepts, unless `bodyLimit` says otherwise (config `server.maxApiBodyBytes`). */
export const API_BODY_LIMIT = 64 * 1024;

/**
 * Headers only browsers send: Fetch Metadata (every current browser sends Sec-Fetch-Site and
 * Sec-Fetch-Dest on every request) and Origin (on every cross-origin or state-changing request, in
 * older browsers too). curl, Python and CI jobs send none of them. Sec-Fetch-Mode is not one: Node's
 * own fetch sends it.
 */
const BROWSER_HEADERS = ['sec-fetch-site', 'sec-fetch-dest', 'sec-fetch-user', 'origin'] as const;

/** The first browser-only header a request carries, or null. */
export function browserMark(headers: FastifyRequest['headers']): string | null {
  for (const name of BROWSER_HEADERS) if (headers[name] !== undefined) return name;
  return null;
}

export type Api = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A strict Content-Security-Policy: the UI loads only its own files and talks only to this origin. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ['content-security-policy', CONTENT_SECURITY_POLICY],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
  ['permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
];

/** A request id we can put in logs safely: ours, or the caller's if it is short and plain. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** 403 for a browser request from another origin (see `crossOriginReason`); scripts send no Origin. */
function refuseCrossOrigin(req: FastifyRequest): void {
  const why = crossOriginReason({
    secFetchSite: firstHeader(req.headers['sec-fetch-site']),
    origin: firstHeader(req.headers.origin),
    hosts: [
      req.headers.host,
      ...(req.client.proxyIp !== null ? [firstHeader(req.headers['x-forwarded-host'])] : []),
    ],
  });
  if (why !== null) throw new AppError('forbidden', `cross-origin request refused: ${why}`);
}

/**
 * The onRequest hook, built once per API: resolves the client address, refuses a browser's
 * cross-origin write, and authenticates the caller by session cookie or Authorization header.
 */
function authenticateHook(deps: ApiDeps, plane: Plane) {
  return async function authenticate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    req.client = resolveClientAddress(
      req.raw.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      deps.settings.snapshot.trustedProxies,
    );
    void reply.header('x-request-id', req.id).header('cache-control', 'no-store');
    // A browser's write from another origin is refused on every route, sign-in included.
    const write = !SAFE_METHODS.has(req.method);
    if (write && !(plane === 'gateway' && req.is404)) refuseCrossOrigin(req);
    if (req.routeOptions.config.public || (plane === 'gateway' && req.is404)) return;
    if (plane === 'gateway') {
      // Pages of the proxied application share this origin, and a browser replays the Basic password
      // it cached for it: nothing a browser sends here may act on tokens, users or settings.
      const mark = browserMark(req.headers);
      if (mark !== null) {
        throw new AppError(
          'forbidden',
          `this API on the gateway's origin answers scripts, not browsers (the request has ${mark === 'origin' ? 'an Origin' : `a ${mark}`} header); use the web UI or the management API on the admin listener`,
        );
      }
    }
    // The session cookie is the admin listener's; on the gateway's origin it is no credential at all.
    const cookie =
      plane === 'management' && req.headers.authorization === undefined
        ? readSessionCookie(req.headers.cookie)
        : null;
    if (cookie !== null) {
      req.principal = await sessionPrincipal(deps, req, cookie, write);
      return;
    }
    req.principal = await deps.authenticator.authenticate(
      req.headers.authorization,
      req.method,
      req.client.clientIp,
      { proxyIp: req.client.proxyIp, requestId: req.id, endpoint: req.url.split('?', 1)[0] ?? '' },
    );
  };
}

/** The principal of a web UI request that carries a session cookie; throws when it may not act. */
async function sessionPrincipal(
  deps: ApiDeps,
  req: FastifyRequest,
  cookie: string,
  write: boolean,
): Promise<Principal> {
  // The web UI: a session cookie, and for every state change the session's CSRF token. The
  // session answers only pages of its own origin, reads included.
  if (!write) refuseCrossOrigin(req);
  const session = await deps.sessions.lookup(cookie);
  if (!session) throw new AppError('unauthorized', 'the session has expired or ended; sign in again');
  // Behind a trusted SSO proxy the proxy says who is at the keyboard: a session of someone else
  // (another person signed in at the proxy in this browser) ends here; GET /session opens theirs.
  const sso = trustedSsoUser(req, deps);
  if (sso !== null && sso.username !== session.user.username)
    throw new AppError('unauthorized', 'the SSO proxy names another user; sign in again');
  if (write) {
    const given = req.headers['x-csrf-token'];
    if (!deps.sessions.checkCsrf(session, Array.isArray(given) ? given[0] : given)) {
      throw new AppError('forbidden', 'missing or wrong X-CSRF-Token for a session request');
    }
  }
  if (!deps.settings.snapshot.allowedIps.matches(req.client.clientIp)) {
    throw new AppError('forbidden', `the client IP ${req.client.clientIp} is not allowed (auth.allowedIps)`);
  }
  return { username: session.user.username, groups: session.user.groups, via: 'session' };
}

/** Builds the management API. Call `ready()` before routing requests to it. */
export function buildApi(deps: ApiDeps): Api {
  const plane = deps.plane ?? 'management';
  const app = Fastify({
    logger: false,
    bodyLimit: deps.bodyLimit ?? API_BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomBytes(8).toString('hex');
    },
    routerOptions: { ignoreTrailingSlash: true },
    // A path that is not valid percent-encoding, or too long a segment: our error shape, not Fastify's.
    frameworkErrors: (err, _req, reply) => {
      void sendError(reply, toAppError(err));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(makeValidatorCompiler());
  // The API speaks JSON only; Fastify's default text/plain parser would turn a wrong Content-Type into a 400.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler((req, err) => deps.logError(`${req.method} ${req.url} failed`, err)));
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.method, route.url));
  app.setNotFoundHandler((req, reply) => {
    const rawPath = req.url.split('?')[0] ?? '';
    const path = maskTokens(rawPath);
    const allowed = routeMethods.allowed(rawPath);
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendError(
        reply,
        new AppError(
          'method_not_allowed',
          `${req.method} is not allowed on ${path}; it allows ${allowed.join(', ')}`,
        ),
      );
    }
    return sendError(
      reply,
      new AppError(
        'not_found',
        `no route ${req.method} ${path}${plane === 'gateway' ? " on the gateway's listener: the web UI and the management API are served on the admin listener (adminPort)" : ''}`,
      ),
    );
  });
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('client', null as unknown as ClientAddress);

  app.addHook('onRequest', authenticateHook(deps, plane));

  // Security headers on everything under /_tokengate/, the web UI included.
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [name, value] of SECURITY_HEADERS) void reply.header(name, value);
    return payload;
  });

  if (plane === 'management') void app.register(swagger, openApiOptions(deps.version));

  void app.register(healthRoutes(deps), { prefix: BASE_PATH });
  if (plane === 'gateway') {
    void app.register(secretScanningRoutes(deps), { prefix: API_PATH });
    if (deps.compatResolutionApi)
      void app.register(compatResolutionRoutes(deps), { prefix: COMPAT_RESOLUTION_PATH });
    return app;
  }
  void app.register(metricsRoutes(deps), { prefix: BASE_PATH });
  void app.register(uiRoutes(deps.uiDir), { prefix: BASE_PATH });
  if (deps.identity?.oidc) void app.register(oidcRoutes(deps), { prefix: OIDC_UI_PATH });
  void app.register(
    async (api) => {
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());
      await api.register(meRoutes(deps));
      await api.register(tokenRoutes(deps));
      await api.register(adminTokenRoutes(deps));
      await api.register(adminUserRoutes(deps));
      await api.register(adminSettingsRoutes(deps));
      await api.register(adminLogLevelRoutes(deps));
      await api.register(sessionRoutes(deps));
      await api.register(adminStatsRoutes(deps));
      await api.register(adminAuditRoutes(deps));
      await api.register(secretScanningRoutes(deps));
    },
    { prefix: API_PATH },
  );
  return app;
}
