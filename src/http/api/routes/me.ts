import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { hasPermission, isAdmin } from '../../../domain/permissions.js';
import { toPublicUser } from '../../../domain/user.js';
import type { ApiDeps } from '../app.js';
import { ErrorResponse, MeResponse } from '../schemas.js';

/** `GET /me`: who the caller is, how they authenticated and what they may do. */
export function meRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/me',
      {
        schema: {
          tags: ['tokens'],
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
  };
}
