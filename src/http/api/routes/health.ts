import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../context.js';
import { Health } from '../schemas.js';

/** `GET /_tokengate/health`: for load balancers. 503 when the database does not answer. */
export function healthRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/health',
      {
        config: { public: true },
        schema: {
          tags: ['health'],
          summary: 'Liveness and database health',
          security: [],
          response: { 200: Health, 503: Health },
        },
      },
      async (_req, reply) => {
        let database: 'ok' | 'unavailable' = 'ok';
        try {
          await deps.store.ping();
        } catch {
          database = 'unavailable';
        }
        const body = {
          status: database === 'ok' ? ('ok' as const) : ('degraded' as const),
          version: deps.version,
          nodeId: deps.nodeId,
          database,
        };
        return reply.code(database === 'ok' ? 200 : 503).send(body);
      },
    );
  };
}
