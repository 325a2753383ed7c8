import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../../domain/errors.js';
import { toPublicUser } from '../../../domain/user.js';
import { SESSION_TTL_MS, type SessionInfo } from '../../../auth/sessions.js';
import type { IpMatcher } from '../../../domain/auth/ip-rules.js';
import { normalizeSocketIp } from '../../../domain/auth/client-ip.js';
import { clearSessionCookie, readSessionCookie, sessionCookie } from '../../cookies.js';
import type { DirectoryUser } from '../../../ports/directory.js';
import type { SignInSource } from '../../../identity/provisioning.js';
import { ssoHeaderUser } from '../../../identity/sso-headers.js';
import { OIDC_UI_PATH } from '../../../identity/ui-identity.js';
import type { ApiDeps, RouteApp } from '../context.js';
import { ErrorResponses, UserView } from '../schemas.js';

/** The plugin's Fastify instance, with TypeBox typing, that each group of routes registers on. */

const SessionView = Type.Object({
  user: UserView,
  csrfToken: Type.String({
    description: 'Send it as X-CSRF-Token on every state-changing call made with the session cookie.',
  }),
  expiresAt: Type.String({ format: 'date-time' }),
});

/**
 * Over https (directly, or as a trusted proxy says) the cookie is marked Secure. A proxy's word counts
 * even without X-Forwarded-For, in any case, and from the first (client-facing) entry of a list: a
 * Secure flag too many only costs the one client that lied, one too few exposes the cookie.
 */
export function isHttps(req: FastifyRequest, trustedProxies: IpMatcher): boolean {
  if ((req.raw.socket as { encrypted?: boolean }).encrypted === true) return true;
  const peer = normalizeSocketIp(req.raw.socket.remoteAddress);
  if (trustedProxies.allowsAll || !trustedProxies.matches(peer)) return false;
  const proto = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/**
 * The user a trusted SSO proxy names in its headers (config `identity.ssoHeaders`), or null. Only a
 * peer in auth.trustedProxies is heard, and never when that setting trusts every address: otherwise
 * anyone could send `Remote-User: admin`.
 */
export function trustedSsoUser(req: FastifyRequest, deps: ApiDeps): DirectoryUser | null {
  const rules = deps.identity?.ssoHeaders ?? null;
  if (rules === null) return null;
  const proxies = deps.settings.snapshot.trustedProxies;
  const peer = normalizeSocketIp(req.raw.socket.remoteAddress);
  if (proxies.allowsAll || !proxies.matches(peer)) return null;
  return ssoHeaderUser(req.headers, rules);
}

/**
 * Opens a UI session for a user the identity provider or the SSO proxy vouched for: creates or updates
 * them just in time (provisioning refuses a local user of that name, or one an administrator
 * disabled) and logs the sign-in. Returns the session and its Set-Cookie value.
 */
export async function openVerifiedSession(
  deps: ApiDeps,
  req: FastifyRequest,
  source: Exclude<SignInSource, 'ldap'>,
  user: DirectoryUser,
  idToken?: string,
): Promise<{ info: SessionInfo; setCookie: string }> {
  const identity = deps.identity ?? null;
  if (identity?.provisioning == null)
    throw new AppError('unavailable', 'sign-in through the identity provider is not set up on this node');
  const stored = await identity.provisioning.signIn(source, user, {
    author: user.username,
    sourceIp: req.client.clientIp,
    proxyIp: req.client.proxyIp,
    requestId: req.id,
    method: req.method,
    endpoint: req.routeOptions.url ?? null,
  });
  const { cookie, info } = await deps.sessions.openVerified(stored, req.client.clientIp, {
    method: source,
    ...(idToken !== undefined ? { idToken } : {}),
  });
  identity.log.info(
    `web UI sign-in (${source}): user ${stored.username} from ${req.client.clientIp} (request ${req.id})`,
  );
  const secure = isHttps(req, deps.settings.snapshot.trustedProxies);
  return { info, setCookie: sessionCookie(cookie, Math.floor(SESSION_TTL_MS / 1000), secure) };
}

/** The session cookie of a request, or null when absent or when there are two (sign-out, SSO). */
export function quietSessionCookie(req: FastifyRequest): string | null {
  try {
    return readSessionCookie(req.headers.cookie);
  } catch {
    return null;
  }
}

/** GET /session behind a trusted SSO proxy: the proxy's user, in this session or in a new one. */
async function ssoSession(
  deps: ApiDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  user: DirectoryUser,
): Promise<SessionInfo> {
  const cookie = quietSessionCookie(req);
  const info = cookie ? await deps.sessions.lookup(cookie) : null;
  if (info && info.user.username === user.username) return info;
  // Someone else signed in at the proxy in this browser: the old session ends, theirs begins.
  if (cookie && info) await deps.sessions.signOut(cookie);
  const opened = await openVerifiedSession(deps, req, 'sso-header', user);
  void reply.header('set-cookie', opened.setCookie);
  return opened.info;
}

/**
 * What the sign-in page offers besides the password form, in the details of GET /session's 401 (the
 * page's first question): `oidc` names the provider's button and where it leads.
 */
function signInOptions(deps: ApiDeps): Record<string, unknown> | undefined {
  const oidc = deps.identity?.oidc ?? null;
  if (oidc === null) return undefined;
  return { oidc: { displayName: oidc.displayName, loginUrl: `${OIDC_UI_PATH}/login` } };
}

function view(info: SessionInfo) {
  return {
    user: toPublicUser(info.user),
    csrfToken: info.csrfToken,
    expiresAt: new Date(info.expiresAt).toISOString(),
  };
}

/** POST /session: signs in with the directory password and sets the session cookie. */
function signInRoute(app: RouteApp, deps: ApiDeps): void {
  app.post(
    '/session',
    {
      config: { public: true },
      schema: {
        tags: ['session'],
        operationId: 'createSession',
        summary: 'Sign in to the web UI',
        security: [],
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: SessionView, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const { cookie, info } = await deps.sessions
        .signIn(req.body.username, req.body.password, req.client.clientIp, {
          proxyIp: req.client.proxyIp,
          requestId: req.id,
          endpoint: req.routeOptions.url ?? null,
        })
        .catch((err: unknown) => {
          // A blocked client learns when to try again, as from the gateway.
          const retry = err instanceof AppError ? err.details : undefined;
          if (retry && !Array.isArray(retry) && typeof retry.retryAfterSeconds === 'number')
            void reply.header('retry-after', String(retry.retryAfterSeconds));
          throw err;
        });
      void reply.header(
        'set-cookie',
        sessionCookie(
          cookie,
          Math.floor(SESSION_TTL_MS / 1000),
          isHttps(req, deps.settings.snapshot.trustedProxies),
        ),
      );
      return view(info);
    },
  );
}

/** GET /session (the current session, or a trusted SSO sign-in) and DELETE /session. */
function currentAndSignOutRoutes(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/session',
    {
      config: { public: true },
      schema: {
        tags: ['session'],
        operationId: 'getSession',
        summary: 'The current web UI session',
        security: [],
        response: { 200: SessionView, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const sso = trustedSsoUser(req, deps);
      if (sso !== null) return view(await ssoSession(deps, req, reply, sso));
      const cookie = readSessionCookie(req.headers.cookie);
      const info = cookie ? await deps.sessions.lookup(cookie) : null;
      if (!info) throw new AppError('unauthorized', 'not signed in', signInOptions(deps));
      return view(info);
    },
  );

  app.delete(
    '/session',
    {
      config: { public: true },
      schema: {
        tags: ['session'],
        operationId: 'deleteSession',
        summary: 'Sign out',
        security: [],
        response: { 204: Type.Null(), ...ErrorResponses },
      },
    },
    async (req, reply) => {
      // Two session cookies (one planted by another page of this host): sign out clears ours.
      const cookie = quietSessionCookie(req);
      const info = cookie ? await deps.sessions.lookup(cookie) : null;
      if (cookie && info) {
        if (!deps.sessions.checkCsrf(info, header(req, 'x-csrf-token')))
          throw new AppError('forbidden', 'missing or wrong X-CSRF-Token');
        await deps.sessions.signOut(cookie);
      }
      void reply.header(
        'set-cookie',
        clearSessionCookie(isHttps(req, deps.settings.snapshot.trustedProxies)),
      );
      return reply.code(204).send(null);
    },
  );
}

/**
 * Sign-in for the web UI with the directory password. The session lives in an HttpOnly,
 * SameSite=Strict cookie; API clients keep using Basic or Bearer instead.
 */
export function sessionRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    signInRoute(app, deps);
    currentAndSignOutRoutes(app, deps);
  };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
