import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../domain/errors.js';
import { isAdmin } from '../../../domain/auth/permissions.js';
import type { ApiDeps } from '../context.js';

/**
 * `GET /_tokengate/metrics`: Prometheus text format, for the admin group (an admin's read token as a
 * Bearer credential). Prometheus should scrape the metrics listener instead (config metrics.enabled,
 * src/http/metrics-listener.ts), which needs no credential; see docs/observability.md.
 */
export function metricsRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
      if (!isAdmin(req.principal)) throw new AppError('forbidden', 'metrics need the admin group');
      if (!deps.metrics) throw new AppError('not_found', 'metrics are not collected in this process');
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    });
  };
}
