import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Readiness, readyStatus } from '../../../metrics/readiness.js';
import type { ApiDeps } from '../context.js';
import { Health } from '../schemas.js';

const CheckState = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]);

const Live = Type.Object({ status: Type.Literal('ok') });

const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), CheckState, {
    description: 'Each dependency checked: database; redis in cluster mode; upstream with health.upstream.',
  }),
  errors: Type.Record(Type.String(), Type.String(), { description: 'Why each failed check failed.' }),
});

/**
 * Health on both listeners, for load balancers and orchestrators: `/_tokengate/livez` (the process
 * answers; no dependency), `/_tokengate/readyz` (the database, Redis in cluster mode, the upstream
 * with health.upstream; 503 naming what failed) and the older `/_tokengate/health` (the database).
 * The metrics listener serves the same at /livez and /readyz (src/http/metrics-listener.ts).
 */
export function healthRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  // Without a node's checks (an API built over a bare context, in tests): the database alone.
  const databaseOnly = new Readiness([{ name: 'database', check: () => deps.store.ping() }]);
  return async (app) => {
    app.get(
      '/livez',
      {
        config: { public: true },
        schema: {
          operationId: 'getLiveness',
          tags: ['health'],
          summary: 'Liveness: the process answers (checks no dependency)',
          security: [],
          response: { 200: Live },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        config: { public: true },
        schema: {
          operationId: 'getReadiness',
          tags: ['health'],
          summary: 'Readiness: the database, Redis in cluster mode and optionally the upstream answer',
          security: [],
          response: { 200: Ready, 503: Ready },
        },
      },
      async (_req, reply) => {
        const report = await (deps.metrics?.readiness ?? databaseOnly).run();
        return reply.code(readyStatus(report)).header('cache-control', 'no-store').send(report);
      },
    );
    app.get(
      '/health',
      {
        config: { public: true },
        schema: {
          operationId: 'getHealth',
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
