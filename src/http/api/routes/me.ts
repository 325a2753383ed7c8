import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../../domain/errors.js';
import { hasPermission, isAdmin } from '../../../domain/auth/permissions.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, toPublicUser } from '../../../domain/user.js';
import { SESSION_TTL_MS } from '../../../auth/sessions.js';
import { sessionCookie } from '../../cookies.js';
import { requestContext, type ApiDeps, type RouteApp } from '../context.js';
import { ErrorResponse, ErrorResponses, MeResponse, UserView } from '../schemas.js';

/** The plugin's Fastify instance, with TypeBox typing, that each group of routes registers on. */
import { isHttps } from './session.js';

const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({
      minLength: 1,
      maxLength: MAX_PASSWORD_LENGTH,
      description: 'The password you sign in with now.',
    }),
    newPassword: Type.String({
      minLength: 1,
      maxLength: MAX_PASSWORD_LENGTH,
      description: `The new password: ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters, as for a password an admin sets.`,
    }),
  },
  { additionalProperties: false },
);

const PasswordChanged = Type.Object({
  user: UserView,
  session: Type.Union(
    [
      Type.Object({
        csrfToken: Type.String({ description: 'Send it as X-CSRF-Token with the new session cookie.' }),
        expiresAt: Type.String({ format: 'date-time' }),
      }),
      Type.Null(),
    ],
    {
      description:
        'For a web UI session: the new session that replaces it (its cookie is in Set-Cookie). null for a password caller, or when signing in again failed (sign in again).',
    },
  ),
});

const WRONG_CURRENT = 'is not your current password';

/** GET /me: the caller, how they authenticated, their permissions and the token policy. */
function meRoute(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/me',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'getMe',
        summary: 'The authenticated user and their permissions',
        response: { 200: MeResponse, 401: ErrorResponse },
      },
    },
    async (req) => {
      const p = req.principal;
      const user = await deps.users.get(p, p.username);
      const s = deps.settings.current;
      return {
        user: toPublicUser(user),
        authenticatedWith:
          p.via === 'token'
            ? ('token' as const)
            : p.via === 'session'
              ? ('session' as const)
              : ('password' as const),
        tokenId: p.tokenId ?? null,
        tokenScope: p.tokenScope ?? null,
        permissions: {
          useTokens: hasPermission(user, 'useTokens', s),
          createOwnTokens: hasPermission(user, 'createOwnTokens', s),
          manageAllTokens: hasPermission(user, 'manageAllTokens', s),
          admin: isAdmin(user),
        },
        policy: {
          maxValidityDays: s['tokens.maxValidityDays'],
          defaultValidityDays: s['tokens.defaultValidityDays'],
          forceReadOnly: s['tokens.forceReadOnly'],
          maxPerUser: s['tokens.maxPerUser'],
          tokenPrefix: s['tokens.prefix'],
          rotationGraceSeconds: s['tokens.rotationGraceSeconds'],
          expiryWarningDays: s['tokens.expiryWarningDays'],
        },
      };
    },
  );
}

/** PUT /me/password: a password change that ends every session and renews a web UI one. */
function passwordRoute(app: RouteApp, deps: ApiDeps): void {
  app.put(
    '/me/password',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'changeMyPassword',
        summary: 'Change your own password',
        description:
          'Needs your current password, and a session or password authentication: a token cannot set passwords (403). A wrong current password is 403 naming `currentPassword` and counts as a failed sign-in (brute-force blocking). The new password follows the same rules as one an admin sets. Every session of the user ends; a web UI session gets a new one in the answer.',
        body: ChangePasswordBody,
        response: { 200: PasswordChanged, ...ErrorResponses, 429: ErrorResponse },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      const { currentPassword, newPassword } = req.body;
      const ip = req.client.clientIp;
      const call = {
        proxyIp: req.client.proxyIp,
        requestId: req.id,
        endpoint: req.routeOptions.url ?? null,
      };
      await deps.users.changeOwnPassword(p, requestContext(req), newPassword, async () => {
        // The web sign-in's check: a blocked client or user name is refused before scrypt, and a
        // wrong password counts against both.
        await deps.sessions.checkPassword(p.username, currentPassword, ip, call).catch((err: unknown) => {
          if (err instanceof AppError && err.code === 'unauthorized')
            throw new AppError('forbidden', `currentPassword: ${WRONG_CURRENT}`, [
              { field: 'currentPassword', message: WRONG_CURRENT },
            ]);
          const retry = err instanceof AppError ? err.details : undefined;
          if (retry && !Array.isArray(retry) && typeof retry.retryAfterSeconds === 'number')
            void reply.header('retry-after', String(retry.retryAfterSeconds));
          throw err;
        });
      });
      const stored = await deps.users.get(p, p.username);
      const user = toPublicUser(stored);
      if (p.via !== 'session') return { user, session: null };
      // The session this request came with has ended with the others: it is replaced by a new one.
      const renewed = await deps.sessions.open(stored, ip).catch(() => null);
      if (!renewed) return { user, session: null };
      void reply.header(
        'set-cookie',
        sessionCookie(
          renewed.cookie,
          Math.floor(SESSION_TTL_MS / 1000),
          isHttps(req, deps.settings.snapshot.trustedProxies),
        ),
      );
      return {
        user,
        session: {
          csrfToken: renewed.info.csrfToken,
          expiresAt: new Date(renewed.info.expiresAt).toISOString(),
        },
      };
    },
  );
}

/** `GET /me`: who the caller is, how they authenticated and what they may do. `PUT /me/password`. */
export function meRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    meRoute(app, deps);
    passwordRoute(app, deps);
  };
}
