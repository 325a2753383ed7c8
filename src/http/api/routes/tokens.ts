import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { PublicToken } from '../../../domain/token/token.js';
import { publicToken, requestContext, tokenLocation, type ApiDeps, type RouteApp } from '../context.js';
import {
  CreatedTokenResponse,
  CreateTokenBody,
  PatchTokenBody,
  RotateTokenBody,
  TokenIdParams,
  PageOnlyQuery,
  TokenPage,
  TokenView,
  ErrorResponses,
} from '../schemas.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, sendPage, tokenPage } from '../paging.js';
import { IfMatchHeaders, tokenEtag, withEtag, writeTokenIfMatch } from '../preconditions.js';

/** The plugin's Fastify instance, with TypeBox typing, that each group of routes registers on. */

/** Creates a token for `owner` and shapes the one response that carries the plain token. */
export async function createToken(
  deps: ApiDeps,
  req: FastifyRequest,
  owner: string,
  body: CreateTokenBody,
): Promise<{ token: string; record: PublicToken }> {
  const created = await deps.tokens.create(req.principal, requestContext(req), owner, body);
  return { token: created.token, record: publicToken(deps, created.record) };
}

/** Rotates a token and shapes the response that carries its new secret (as creation does). */
export async function rotateToken(
  deps: ApiDeps,
  req: FastifyRequest,
  id: string,
  graceSeconds: number | undefined,
  asManager: boolean,
): Promise<{ token: string; record: PublicToken }> {
  const rotated = await deps.tokens.rotate(req.principal, requestContext(req), id, graceSeconds, asManager);
  return { token: rotated.token, record: publicToken(deps, rotated.record) };
}

/** Revokes a token if If-Match (when sent) still names its version: its owner's route and the manager's. */
export async function revokeIfMatch(
  deps: ApiDeps,
  req: FastifyRequest,
  id: string,
  asManager: boolean,
): Promise<void> {
  await writeTokenIfMatch(deps, req, id, asManager, () =>
    deps.tokens.revoke(req.principal, requestContext(req), id, asManager),
  );
}

/** A POST without a body means no options: validated as `{}`. */
export async function noBodyIsEmpty(req: FastifyRequest): Promise<void> {
  req.body ??= {};
}

export const ROTATE_DESCRIPTION =
  'Returns a new secret for the same token, shown once; scope, IP allow-list, rate limit, description and expiry are kept. The old secret keeps working for graceSeconds (default tokens.rotationGraceSeconds), then its use is audited as token.reused (and revokes the token with tokens.revokeOnReuse). A revoked or expired token cannot be rotated (409).';

/** GET and POST /tokens: the caller's list and creating a token for themselves. */
function listAndCreateRoutes(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'listTokens',
        summary: 'List your tokens, every status, newest first',
        description: 'A page at a time, as every list (docs/api.md, "Lists and paging").',
        querystring: PageOnlyQuery,
        response: { 200: TokenPage, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const after = req.query.cursor !== undefined ? decodeCursor(req.query.cursor) : undefined;
      const page = tokenPage(
        await deps.tokens.listOwn(req.principal),
        req.query.limit ?? DEFAULT_PAGE_SIZE,
        after,
      );
      return sendPage(req, reply, {
        items: page.items.map((t) => publicToken(deps, t)),
        nextCursor: page.next ? encodeCursor(page.next) : null,
      });
    },
  );

  app.post(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'createToken',
        summary: 'Create a token for yourself',
        description:
          'Returns the plain token once. Without expiresAt or validityDays the token gets tokens.defaultValidityDays. An expiry beyond tokens.maxValidityDays is refused with a message naming the latest allowed date.',
        body: CreateTokenBody,
        response: { 201: CreatedTokenResponse, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const created = await createToken(deps, req, req.principal.username, req.body);
      return reply.code(201).header('location', tokenLocation(created.record.id, false)).send(created);
    },
  );
}

/** GET and PATCH /tokens/:id: reading and describing one of the caller's tokens. */
function oneTokenRoutes(app: RouteApp, deps: ApiDeps): void {
  app.get(
    '/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'getToken',
        summary: 'One of your tokens',
        description: 'The ETag header is its version, for If-Match on PATCH and DELETE.',
        params: TokenIdParams,
        response: { 200: TokenView, ...ErrorResponses },
      },
      config: { etag: true },
    },
    async (req, reply) => {
      const t = await deps.tokens.get(req.principal, req.params.id);
      return withEtag(reply, tokenEtag(t), publicToken(deps, t));
    },
  );

  app.patch(
    '/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'updateToken',
        summary: "Change a token's description",
        params: TokenIdParams,
        headers: IfMatchHeaders,
        body: PatchTokenBody,
        response: { 200: TokenView, ...ErrorResponses },
      },
      config: { etag: true },
    },
    async (req, reply) => {
      const t = await writeTokenIfMatch(deps, req, req.params.id, false, () =>
        deps.tokens.updateDescription(
          req.principal,
          requestContext(req),
          req.params.id,
          req.body.description,
        ),
      );
      return withEtag(reply, tokenEtag(t), publicToken(deps, t));
    },
  );
}

/** Rotating and revoking one of the caller's tokens. */
function rotateAndRevokeRoutes(app: RouteApp, deps: ApiDeps): void {
  app.post(
    '/tokens/:id/rotate',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'rotateToken',
        summary: 'Rotate one of your tokens: a new secret, the old one stops after a grace period',
        description: `${ROTATE_DESCRIPTION} A token may rotate itself when it has write scope.`,
        params: TokenIdParams,
        body: RotateTokenBody,
        response: { 200: CreatedTokenResponse, ...ErrorResponses },
      },
      preValidation: noBodyIsEmpty,
    },
    async (req) =>
      rotateToken(deps, req, req.params.id, (req.body as RotateTokenBody | undefined)?.graceSeconds, false),
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        operationId: 'revokeToken',
        summary: 'Revoke one of your tokens',
        description: 'The token stops working at once. It stays listed with status "revoked" until pruned.',
        params: TokenIdParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...ErrorResponses },
      },
    },
    async (req, reply) => {
      await revokeIfMatch(deps, req, req.params.id, false);
      return reply.code(204).send(null);
    },
  );
}

/** The caller's own tokens. */
export function tokenRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    listAndCreateRoutes(app, deps);
    oneTokenRoutes(app, deps);
    rotateAndRevokeRoutes(app, deps);
  };
}
