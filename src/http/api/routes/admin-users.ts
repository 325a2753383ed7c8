import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { toPublicUser } from '../../../domain/user.js';
import { requestContext, userLocation, type ApiDeps, type RouteApp } from '../context.js';
import { IfMatchHeaders, userEtag, withEtag, writeUserIfMatch } from '../preconditions.js';
import {
  CreateUserBody,
  PatchUserBody,
  PageOnlyQuery,
  UserPage,
  UserParams,
  UserView,
  ErrorResponses,
} from '../schemas.js';
import { decodeNameCursor, DEFAULT_PAGE_SIZE, namePage, sendPage } from '../paging.js';

/** GET and POST /admin/users: the list and adding a user. */
function listAndCreateRoutes(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/admin/users',
    {
      schema: {
        tags: ['users'],
        operationId: 'adminListUsers',
        summary: 'List users',
        description: 'By user name, a page at a time, as every list (docs/api.md, "Lists and paging").',
        querystring: PageOnlyQuery,
        response: { 200: UserPage, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const after = req.query.cursor !== undefined ? decodeNameCursor(req.query.cursor) : undefined;
      const all = await deps.users.list(req.principal);
      const page = namePage(all, (u) => u.username, req.query.limit ?? DEFAULT_PAGE_SIZE, after);
      return sendPage(req, reply, { items: page.items.map(toPublicUser), nextCursor: page.nextCursor });
    },
  );

  app.post(
    '/admin/users',
    {
      schema: {
        tags: ['users'],
        operationId: 'adminCreateUser',
        summary: 'Add a user',
        description: 'Without a password the user can only authenticate with tokens that a manager creates.',
        body: CreateUserBody,
        response: { 201: UserView, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const u = await deps.users.create(req.principal, requestContext(req), req.body);
      return reply.code(201).header('location', userLocation(u.username)).send(toPublicUser(u));
    },
  );
}

/** GET, PATCH and DELETE /admin/users/:user, with ETag and If-Match. */
function oneUserRoutes(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/admin/users/:user',
    {
      schema: {
        tags: ['users'],
        operationId: 'adminGetUser',
        summary: 'One user',
        description: 'The ETag header is its version, for If-Match on PATCH and DELETE.',
        params: UserParams,
        response: { 200: UserView, ...ErrorResponses },
      },
      config: { etag: true },
    },
    async (req, reply) => {
      const u = await deps.users.get(req.principal, req.params.user);
      return withEtag(reply, userEtag(u), toPublicUser(u));
    },
  );

  app.patch(
    '/admin/users/:user',
    {
      schema: {
        tags: ['users'],
        operationId: 'adminUpdateUser',
        summary: 'Change a user',
        description: 'Disabling a user stops all their tokens at once. password: null removes the password.',
        params: UserParams,
        headers: IfMatchHeaders,
        body: PatchUserBody,
        response: { 200: UserView, ...ErrorResponses },
      },
      config: { etag: true },
    },
    async (req, reply) => {
      const u = await writeUserIfMatch(deps, req, req.params.user, () =>
        deps.users.update(req.principal, requestContext(req), req.params.user, req.body),
      );
      return withEtag(reply, userEtag(u), toPublicUser(u));
    },
  );

  app.delete(
    '/admin/users/:user',
    {
      schema: {
        tags: ['users'],
        operationId: 'adminDeleteUser',
        summary: 'Delete a user and their tokens',
        params: UserParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...ErrorResponses },
      },
    },
    async (req, reply) => {
      await writeUserIfMatch(deps, req, req.params.user, () =>
        deps.users.delete(req.principal, requestContext(req), req.params.user),
      );
      return reply.code(204).send(null);
    },
  );
}

/** The user directory, for the admin group. */
export function adminUserRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    listAndCreateRoutes(app, deps);
    oneUserRoutes(app, deps);
  };
}
