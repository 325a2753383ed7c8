import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../../domain/errors.js';
import type { Principal } from '../../../domain/auth/permissions.js';
import type { TokenFilter } from '../../../store/token-repo.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, sendPage } from '../paging.js';
import { publicToken, requestContext, tokenLocation, type ApiDeps, type RouteApp } from '../context.js';
import { createToken, noBodyIsEmpty, revokeIfMatch, ROTATE_DESCRIPTION, rotateToken } from './tokens.js';
import { IfMatchHeaders, tokenEtag, withEtag } from '../preconditions.js';
import {
  CreatedTokenResponse,
  CreateTokenBody,
  RevokedTokens,
  RotateTokenBody,
  TokenIdParams,
  TokenPage,
  TokenSearchQuery,
  TokenView,
  UserParams,
  ErrorResponses,
} from '../schemas.js';

/** The plugin's Fastify instance, with TypeBox typing, that each group of routes registers on. */

const TIME_FILTERS = [
  'createdFrom',
  'createdTo',
  'lastUsedFrom',
  'lastUsedTo',
  'expiresFrom',
  'expiresTo',
] as const;

function toFilter(q: TokenSearchQuery): TokenFilter {
  const f: TokenFilter = {};
  if (q.user !== undefined) f.user = q.user;
  if (q.description !== undefined) f.description = q.description;
  if (q.scope !== undefined) f.scope = q.scope;
  if (q.status !== undefined) f.status = q.status;
  for (const key of TIME_FILTERS) {
    const v = q[key];
    if (v !== undefined) f[key] = Date.parse(v);
  }
  return f;
}

/**
 * The token manager is for holders of manageAllTokens and for members of a service account's owning
 * group (issue 17); the services then let a member reach that account's tokens only.
 */
async function requireManager(deps: ApiDeps, p: Principal): Promise<void> {
  if (!(await deps.tokens.mayUseTokenManager(p))) {
    throw new AppError(
      'forbidden',
      "the token manager needs the manageAllTokens permission, or membership of a service account's owning group",
    );
  }
}

/** Searching every user's tokens and reading any one of them. */
function searchRoutes(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/admin/tokens',
    {
      schema: {
        tags: ['token manager'],
        operationId: 'adminListTokens',
        summary: "Search every user's tokens",
        description:
          'Filters combine with AND. Time ranges are inclusive ISO 8601 date-times. Newest first, with cursor paging.',
        querystring: TokenSearchQuery,
        response: { 200: TokenPage, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const after = req.query.cursor !== undefined ? decodeCursor(req.query.cursor) : undefined;
      const limit = req.query.limit ?? DEFAULT_PAGE_SIZE;
      const page = await deps.tokens.search(req.principal, toFilter(req.query), limit, after);
      return sendPage(req, reply, {
        items: page.items.map((t) => publicToken(deps, t)),
        nextCursor: page.next ? encodeCursor(page.next) : null,
      });
    },
  );

  app.get(
    '/admin/tokens/:id',
    {
      schema: {
        tags: ['token manager'],
        operationId: 'adminGetToken',
        summary: 'Any token',
        description: 'The ETag header is its version, for If-Match on DELETE.',
        params: TokenIdParams,
        response: { 200: TokenView, ...ErrorResponses },
      },
      config: { etag: true },
    },
    async (req, reply) => {
      const t = await deps.tokens.get(req.principal, req.params.id, true);
      return withEtag(reply, tokenEtag(t), publicToken(deps, t));
    },
  );
}

/** Rotating and revoking any token. */
function rotateAndRevokeRoutes(app: RouteApp, deps: ApiDeps): void {
  app.post(
    '/admin/tokens/:id/rotate',
    {
      schema: {
        tags: ['token manager'],
        operationId: 'adminRotateToken',
        summary: 'Rotate any token',
        description: `${ROTATE_DESCRIPTION} Only the admin group may rotate an administrator's token.`,
        params: TokenIdParams,
        body: RotateTokenBody,
        response: { 200: CreatedTokenResponse, ...ErrorResponses },
      },
      preValidation: noBodyIsEmpty,
    },
    async (req) =>
      rotateToken(deps, req, req.params.id, (req.body as RotateTokenBody | undefined)?.graceSeconds, true),
  );

  app.delete(
    '/admin/tokens/:id',
    {
      schema: {
        tags: ['token manager'],
        operationId: 'adminRevokeToken',
        summary: 'Revoke any token',
        params: TokenIdParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...ErrorResponses },
      },
    },
    async (req, reply) => {
      await revokeIfMatch(deps, req, req.params.id, true);
      return reply.code(204).send(null);
    },
  );
}

/** Creating a token for a user and revoking all of a user's tokens. */
function userTokenRoutes(app: RouteApp, deps: ApiDeps): void {
  app.post(
    '/admin/users/:user/tokens',
    {
      schema: {
        tags: ['token manager'],
        operationId: 'adminCreateUserToken',
        summary: 'Create a token for a user',
        description:
          "The scope is the creator's choice; tokens.forceReadOnly applies only to tokens users create for themselves.",
        params: UserParams,
        body: CreateTokenBody,
        response: { 201: CreatedTokenResponse, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const created = await createToken(deps, req, req.params.user, req.body);
      return reply.code(201).header('location', tokenLocation(created.record.id, true)).send(created);
    },
  );

  app.delete(
    '/admin/users/:user/tokens',
    {
      schema: {
        tags: ['token manager'],
        operationId: 'adminRevokeUserTokens',
        summary: 'Revoke every token of a user',
        params: UserParams,
        response: { 200: RevokedTokens, ...ErrorResponses },
      },
    },
    async (req) => {
      const ids = await deps.tokens.revokeAllOfUser(req.principal, requestContext(req), req.params.user);
      return { revoked: ids.length, tokenIds: ids };
    },
  );
}

/**
 * The token manager: every user's tokens, for holders of `manageAllTokens`; a service account's
 * tokens, for the members of its owning group.
 */
export function adminTokenRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('preHandler', async (req) => requireManager(deps, req.principal));

    searchRoutes(app, deps);
    rotateAndRevokeRoutes(app, deps);
    userTokenRoutes(app, deps);
  };
}
