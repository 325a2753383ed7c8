import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, invalidField } from '../../../domain/errors.js';
import { isAdmin } from '../../../domain/auth/permissions.js';
import { LOGGER_NAME_PATTERN } from '../../../domain/settings.js';
import { LOG_LEVELS, parseLogLevel } from '../../../log/levels.js';
import { requestContext, type ApiDeps } from '../context.js';
import { ErrorResponses } from '../schemas.js';

const Levels = Type.Object({
  levels: Type.Record(Type.String(), Type.String({ enum: [...LOG_LEVELS] }), {
    description:
      'Level per logger; a logger not listed inherits from its parent (auth.filter from auth, then root).',
  }),
});

/**
 * Log levels at run time, for every node: stored in the database (the `log.levels` setting), applied
 * through the change feed, audited as `log.level.changed`. Admin group only.
 */
export function adminLogLevelRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', async (req) => {
      if (!isAdmin(req.principal)) throw new AppError('forbidden', 'log levels need the admin group');
    });

    app.get(
      '/admin/log-levels',
      {
        schema: {
          tags: ['logging'],
          operationId: 'adminListLogLevels',
          summary: 'The log level of every configured logger',
          response: { 200: Levels, ...ErrorResponses },
        },
      },
      async () => {
        await deps.settings.reload();
        return { levels: deps.settings.current['log.levels'] };
      },
    );

    app.put(
      '/admin/log-levels/:logger',
      {
        schema: {
          tags: ['logging'],
          operationId: 'adminSetLogLevel',
          summary: "Set one logger's level on every node",
          description:
            "level null removes the logger's own level, so it inherits its parent's. The root logger always has a level.",
          params: Type.Object({ logger: Type.String({ maxLength: 64 }) }),
          body: Type.Object(
            {
              level: Type.Union([
                Type.String({ maxLength: 16, description: `${LOG_LEVELS.join(', ')} (any case)` }),
                Type.Null(),
              ]),
            },
            { additionalProperties: false },
          ),
          response: { 200: Levels, ...ErrorResponses },
        },
      },
      async (req) => {
        const { logger } = req.params;
        if (!LOGGER_NAME_PATTERN.test(logger))
          throw invalidField('path.logger', `"${logger}" is not a logger name`);
        await deps.settings.reload();
        const next = { ...deps.settings.current['log.levels'] };
        const level = req.body.level === null ? null : parseLogLevel(req.body.level);
        if (req.body.level !== null && level === null)
          throw invalidField('level', `must be one of ${LOG_LEVELS.join(', ')}, or null`);
        if (level === null) Reflect.deleteProperty(next, logger);
        else next[logger] = level;
        const after = await deps.settings.update(req.principal, requestContext(req), { 'log.levels': next });
        return { levels: after['log.levels'] };
      },
    );
  };
}
