import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { toPublicToken, type PublicToken } from '../../../domain/token.js';
import { requestContext, type ApiDeps } from '../app.js';
import {
  CreatedTokenResponse,
  CreateTokenBody,
  ErrorResponse,
  PatchTokenBody,
  TokenIdParams,
  TokenList,
  TokenView,
  ErrorResponses,
} from '../schemas.js';

/** Creates a token for `owner` and shapes the one response that carries the plain token. */
export async function createToken(
  deps: ApiDeps,
  req: FastifyRequest,
  owner: string,
  body: CreateTokenBody,
): Promise<{ token: string; record: PublicToken }> {
  const created = await deps.tokens.create(req.principal, requestContext(req), owner, body);
  return { token: created.token, record: toPublicToken(created.record, deps.now()) };
}

/** The caller's own tokens. */
export function tokenRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'List your tokens, every status, newest first',
          response: { 200: TokenList, 401: ErrorResponse },
        },
      },
      async (req) => {
        const now = deps.now();
        return { items: (await deps.tokens.listOwn(req.principal)).map((t) => toPublicToken(t, now)) };
      },
    );

    app.post(
      '/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Create a token for yourself',
          description:
            'Returns the plain token once. Without expiresAt or validityDays the token gets tokens.defaultValidityDays. An expiry beyond tokens.maxValidityDays is refused with a message naming the latest allowed date.',
          body: CreateTokenBody,
          response: { 201: CreatedTokenResponse, ...ErrorResponses },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await createToken(deps, req, req.principal.username, req.body)),
    );

    app.get(
      '/tokens/:id',
      {
        schema: {
          tags: ['tokens'],
          summary: 'One of your tokens',
          params: TokenIdParams,
          response: { 200: TokenView, ...ErrorResponses },
        },
      },
      async (req) => toPublicToken(await deps.tokens.get(req.principal, req.params.id), deps.now()),
    );

    app.patch(
      '/tokens/:id',
      {
        schema: {
          tags: ['tokens'],
          summary: "Change a token's description",
          params: TokenIdParams,
          body: PatchTokenBody,
          response: { 200: TokenView, ...ErrorResponses },
        },
      },
      async (req) =>
        toPublicToken(
          await deps.tokens.updateDescription(
            req.principal,
            requestContext(req),
            req.params.id,
            req.body.description,
          ),
          deps.now(),
        ),
    );

    app.delete(
      '/tokens/:id',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Revoke one of your tokens',
          description: 'The token stops working at once. It stays listed with status "revoked" until pruned.',
          params: TokenIdParams,
          response: { 204: Type.Null(), ...ErrorResponses },
        },
      },
      async (req, reply) => {
        await deps.tokens.revoke(req.principal, requestContext(req), req.params.id);
        return reply.code(204).send(null);
      },
    );
  };
}
