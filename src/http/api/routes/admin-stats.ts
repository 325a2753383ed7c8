import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../../domain/errors.js';
import { hasPermission } from '../../../domain/auth/permissions.js';
import { publicToken, type ApiDeps } from '../context.js';
import { ErrorResponses, TokenView } from '../schemas.js';

const DAY = 86_400_000;

type Outcome = 'authenticated' | 'failed' | 'denied' | 'rate-limited' | 'anonymous' | 'passed-on';

const Bucket = Type.Object({
  start: Type.String({ format: 'date-time' }),
  authenticated: Type.Integer(),
  failed: Type.Integer({ description: 'Refused with 401: no valid credentials.' }),
  denied: Type.Integer({ description: 'Refused with 403: IP, scope or permission.' }),
  rateLimited: Type.Integer(),
  anonymous: Type.Integer(),
  passedOn: Type.Integer(),
});

const Stats = Type.Object({
  bucketMinutes: Type.Integer(),
  buckets: Type.Array(Bucket),
  topTokens: Type.Array(
    Type.Object({
      id: Type.String(),
      user: Type.String(),
      description: Type.String(),
      uses: Type.Integer({ description: 'Uses counted since the token was created (written in batches).' }),
      lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
  ),
  expiringSoon: Type.Array(TokenView),
});

/** The dashboard's figures: outcomes over time across every node, the most used tokens, tokens that expire soon. */
export function adminStatsRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/admin/stats',
      {
        schema: {
          tags: ['dashboard'],
          operationId: 'adminGetStats',
          summary: 'Authentication outcomes over time, most used tokens, tokens expiring soon',
          querystring: Type.Object(
            { hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 31, default: 24 })) },
            { additionalProperties: false },
          ),
          response: { 200: Stats, ...ErrorResponses },
        },
      },
      async (req) => {
        if (!hasPermission(req.principal, 'manageAllTokens', deps.settings.current)) {
          throw new AppError('forbidden', 'the dashboard needs the manageAllTokens permission');
        }
        const hours = req.query.hours ?? 24;
        const bucketMinutes = hours <= 6 ? 10 : hours <= 48 ? 60 : 360;
        const size = bucketMinutes * 60_000;
        const now = deps.now();
        const first = Math.floor((now - hours * 3_600_000) / size) * size;
        const buckets = new Map<number, Record<Outcome, number>>();
        for (let t = first; t <= now; t += size) {
          buckets.set(t, {
            authenticated: 0,
            failed: 0,
            denied: 0,
            'rate-limited': 0,
            anonymous: 0,
            'passed-on': 0,
          });
        }
        for (const c of await deps.store.stats.since(first)) {
          const b = buckets.get(Math.floor(c.minute / size) * size);
          if (b && c.outcome in b) b[c.outcome as Outcome] += c.count;
        }
        const top = await deps.store.tokens.mostUsed(10);
        const soon = await deps.store.tokens.search(
          {
            status: 'active',
            expiresFrom: now,
            expiresTo: now + deps.settings.current['tokens.expiryWarningDays'] * DAY,
          },
          now,
          50,
        );
        return {
          bucketMinutes,
          buckets: [...buckets].map(([start, b]) => ({
            start: new Date(start).toISOString(),
            authenticated: b.authenticated,
            failed: b.failed,
            denied: b.denied,
            rateLimited: b['rate-limited'],
            anonymous: b.anonymous,
            passedOn: b['passed-on'],
          })),
          topTokens: top.map((t) => ({
            id: t.id,
            user: t.user,
            description: t.description,
            uses: t.uses,
            lastUsedAt: t.lastUsedAt === null ? null : new Date(t.lastUsedAt).toISOString(),
          })),
          expiringSoon: soon
            .sort((a, b) => (a.expiresAt ?? 0) - (b.expiresAt ?? 0))
            .map((t) => publicToken(deps, t)),
        };
      },
    );
  };
}
