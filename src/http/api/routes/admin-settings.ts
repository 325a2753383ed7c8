import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../domain/errors.js';
import { isAdmin } from '../../../domain/auth/permissions.js';
import { SETTING_DEFINITIONS } from '../../../domain/settings.js';
import { Type } from 'typebox';
import { requestContext, type ApiDeps, type RouteApp } from '../context.js';
import { conditionalWrite, IfMatchHeaders, settingsEtag, withEtag } from '../preconditions.js';
import { SettingsObject, SettingsPatch, ErrorResponses } from '../schemas.js';

/** GET /admin/settings and its schema. */
function readRoutes(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/admin/settings',
    {
      schema: {
        tags: ['settings'],
        operationId: 'adminGetSettings',
        summary: 'Every setting with its current value',
        description: 'The ETag header is their version, for If-Match on PATCH.',
        response: { 200: SettingsObject, ...ErrorResponses },
      },
      config: { etag: true },
    },
    async (req, reply) => {
      if (!isAdmin(req.principal)) throw new AppError('forbidden', 'reading settings needs the admin group');
      await deps.settings.reload();
      const current = { ...deps.settings.current };
      return withEtag(reply, settingsEtag(current), current);
    },
  );

  app.get(
    '/admin/settings/schema',
    {
      schema: {
        tags: ['settings'],
        operationId: 'adminGetSettingsSchema',
        summary: 'Every setting with its type, default and help text',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                key: Type.String(),
                description: Type.String(),
                default: Type.Unknown(),
                schema: Type.Unknown(),
              }),
            ),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      if (!isAdmin(req.principal)) throw new AppError('forbidden', 'reading settings needs the admin group');
      return {
        items: SETTING_DEFINITIONS.map((d) => ({
          key: d.key,
          description: d.description,
          default: d.default,
          schema: d.schema,
        })),
      };
    },
  );
}

/** PATCH /admin/settings, with If-Match. */
function patchRoute(app: RouteApp, deps: ApiDeps): void {
  app.patch(
    '/admin/settings',
    {
      schema: {
        tags: ['settings'],
        operationId: 'adminUpdateSettings',
        summary: 'Change settings',
        description:
          'All keys are checked before any is written: one bad key or value refuses the whole change. Every changed key is audited with its old and new value.',
        headers: IfMatchHeaders,
        body: SettingsPatch,
        response: { 200: SettingsObject, ...ErrorResponses },
      },
      config: { etag: true },
    },
    async (req, reply) => {
      const after = await conditionalWrite(
        deps.store,
        req,
        'settings',
        async () => {
          if (!isAdmin(req.principal))
            throw new AppError('forbidden', 'changing settings needs the admin group');
          await deps.settings.reload();
          return settingsEtag({ ...deps.settings.current });
        },
        () => deps.settings.update(req.principal, requestContext(req), req.body),
      );
      const current = { ...after };
      return withEtag(reply, settingsEtag(current), current);
    },
  );
}

/** Runtime settings, stored in the database and shared by every node. Admin group only. */
export function adminSettingsRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    readRoutes(app, deps);
    patchRoute(app, deps);
  };
}
