import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../../domain/errors.js';
import { toPublicUser } from '../../../domain/user.js';
import { SESSION_TTL_MS, type SessionInfo } from '../../../auth/sessions.js';
import type { IpMatcher } from '../../../domain/auth/ip-rules.js';
import { normalizeSocketIp } from '../../../domain/auth/client-ip.js';
import { clearSessionCookie, readSessionCookie, sessionCookie } from '../../cookies.js';
import type { ApiDeps } from '../context.js';
import { ErrorResponses, UserView } from '../schemas.js';

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

function view(info: SessionInfo) {
  return {
    user: toPublicUser(info.user),
    csrfToken: info.csrfToken,
    expiresAt: new Date(info.expiresAt).toISOString(),
  };
}

/**
 * Sign-in for the web UI with the directory password. The session lives in an HttpOnly,
 * SameSite=Strict cookie; API clients keep using Basic or Bearer instead.
 */
export function sessionRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/session',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
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

    app.get(
      '/session',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          summary: 'The current web UI session',
          security: [],
          response: { 200: SessionView, ...ErrorResponses },
        },
      },
      async (req) => {
        const cookie = readSessionCookie(req.headers.cookie);
        const info = cookie ? await deps.sessions.lookup(cookie) : null;
        if (!info) throw new AppError('unauthorized', 'not signed in');
        return view(info);
      },
    );

    app.delete(
      '/session',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          summary: 'Sign out',
          security: [],
          response: { 204: Type.Null(), ...ErrorResponses },
        },
      },
      async (req, reply) => {
        // Two session cookies (one planted by another page of this host): sign out clears ours.
        let cookie: string | null = null;
        try {
          cookie = readSessionCookie(req.headers.cookie);
        } catch {
          cookie = null;
        }
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
  };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
