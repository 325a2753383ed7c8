import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { toPublicUser } from '../../../domain/user.js';
import { requestContext, userLocation, type ApiDeps } from '../context.js';
import { CreateUserBody, PatchUserBody, UserList, UserParams, UserView, ErrorResponses } from '../schemas.js';

/** The user directory, for the admin group. */
export function adminUserRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/admin/users',
      {
        schema: {
          tags: ['users'],
          operationId: 'adminListUsers',
          summary: 'List users',
          response: { 200: UserList, ...ErrorResponses },
        },
      },
      async (req) => ({ items: (await deps.users.list(req.principal)).map(toPublicUser) }),
    );

    app.post(
      '/admin/users',
      {
        schema: {
          tags: ['users'],
          operationId: 'adminCreateUser',
          summary: 'Add a user',
          description:
            'Without a password the user can only authenticate with tokens that a manager creates.',
          body: CreateUserBody,
          response: { 201: UserView, ...ErrorResponses },
        },
      },
      async (req, reply) => {
        const u = await deps.users.create(req.principal, requestContext(req), req.body);
        return reply.code(201).header('location', userLocation(u.username)).send(toPublicUser(u));
      },
    );

    app.get(
      '/admin/users/:user',
      {
        schema: {
          tags: ['users'],
          operationId: 'adminGetUser',
          summary: 'One user',
          params: UserParams,
          response: { 200: UserView, ...ErrorResponses },
        },
      },
      async (req) => toPublicUser(await deps.users.get(req.principal, req.params.user)),
    );

    app.patch(
      '/admin/users/:user',
      {
        schema: {
          tags: ['users'],
          operationId: 'adminUpdateUser',
          summary: 'Change a user',
          description:
            'Disabling a user stops all their tokens at once. password: null removes the password.',
          params: UserParams,
          body: PatchUserBody,
          response: { 200: UserView, ...ErrorResponses },
        },
      },
      async (req) =>
        toPublicUser(await deps.users.update(req.principal, requestContext(req), req.params.user, req.body)),
    );

    app.delete(
      '/admin/users/:user',
      {
        schema: {
          tags: ['users'],
          operationId: 'adminDeleteUser',
          summary: 'Delete a user and their tokens',
          params: UserParams,
          response: { 204: Type.Null(), ...ErrorResponses },
        },
      },
      async (req, reply) => {
        await deps.users.delete(req.principal, requestContext(req), req.params.user);
        return reply.code(204).send(null);
      },
    );
  };
}
