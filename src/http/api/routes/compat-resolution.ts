import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { maskTokens } from '../../../domain/audit/audit.js';
import { AppError } from '../../../domain/errors.js';
import { hasPermission } from '../../../domain/auth/permissions.js';
import { checkDescription } from '../../../domain/token/policy.js';
import type { TokenRecord, TokenStatus } from '../../../domain/token/token.js';
import { requestContext, type ApiDeps } from '../context.js';
import { sendError, toAppError } from '../errors.js';
import { newestFirst } from '../paging.js';
import {
  requestedExpiry,
  scopeOf,
  SCOPE_NUMBER,
  toCompatToken,
  toFilters,
  toPage,
  type CompatPage,
} from './compat-resolution/mapping.js';
import { DEFAULT_FILTER_LIMIT, ROUTE_SCHEMAS, type CompatFilterQuery } from './compat-resolution/schemas.js';

/** Where the seed's app serves its REST API; scripts written against it call these paths. */
export const COMPAT_RESOLUTION_PATH = '/rest/de.resolution.apitokenauth/latest';

/** Most matches tokensByFilter pages through; `totalElements` stops counting here. */
export const FILTER_MAX_MATCHES = 10_000;

/** The statuses the original can show: it deleted tokens, so a revoked token is gone here. */
const LISTED: readonly TokenStatus[] = ['active', 'expired'];

/**
 * Errors as the original sends them, `{errorMessage}`, with tokengate's `error` object beside it:
 * same codes, statuses and headers as the rest of the API (errors.ts).
 */
function sendCompatError(reply: FastifyReply, err: AppError): FastifyReply {
  return sendError(reply, err, { errorMessage: err.message });
}

/** One page of every user's live tokens; one search per user and status, merged newest first. */
async function filterPage(deps: ApiDeps, req: FastifyRequest, q: CompatFilterQuery) {
  if (!hasPermission(req.principal, 'manageAllTokens', deps.settings.current)) {
    throw new AppError('forbidden', 'tokensByFilter is the token manager: it needs manageAllTokens');
  }
  const filters = toFilters(q) ?? [];
  const found = new Map<string, TokenRecord>();
  for (const filter of filters) {
    for (const status of LISTED) {
      const page = await deps.tokens.search(req.principal, { ...filter, status }, FILTER_MAX_MATCHES);
      for (const t of page.items) found.set(t.id, t);
    }
  }
  const all = [...found.values()].sort(newestFirst).slice(0, FILTER_MAX_MATCHES);
  return toPage(all, q.page ?? 0, q.limit ?? DEFAULT_FILTER_LIMIT);
}

/**
 * A compatible subset of the seed app's token REST API (docs/migration.md): create, list, rename and
 * delete your tokens, and the token manager's filter. Every call goes through TokenService, so its
 * permissions, limits and audit records hold here as on tokengate's own API.
 */
export function compatResolutionRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.setErrorHandler((err, req, reply) => {
      const appErr = toAppError(err);
      if (appErr.status >= 500) deps.logError(`${req.method} ${req.url} failed`, err);
      return sendCompatError(reply, appErr);
    });
    app.setNotFoundHandler((req, reply) =>
      sendCompatError(
        reply,
        new AppError(
          'not_found',
          `no route ${req.method} ${maskTokens(req.url.split('?')[0] ?? '')} in the compatible subset (docs/migration.md)`,
        ),
      ),
    );

    /**
     * A token the caller may change: theirs, any with manageAllTokens, or a service account's their
     * group owns (as on the management API); revoked ones are deleted here.
     */
    const live = async (req: FastifyRequest, id: string): Promise<TokenRecord> => {
      const t = await deps.tokens.get(req.principal, id, true);
      if (t.revokedAt !== null) throw new AppError('not_found', `token ${maskTokens(id)} does not exist`);
      return t;
    };

    app.get('/user/token', { schema: ROUTE_SCHEMAS.list }, async (req): Promise<CompatPage> => {
      const own = (await deps.tokens.listOwn(req.principal)).filter((t) => t.revokedAt === null);
      // One unpaged page, as Spring reports a list it was not asked to page.
      return { ...toPage(own, 0, Math.max(own.length, 1)), size: own.length, totalPages: 1, last: true };
    });

    app.post('/user/token', { schema: ROUTE_SCHEMAS.create }, async (req) => {
      const body = req.body;
      const description = checkDescription(body.tokenDescription, 'tokenDescription');
      const now = deps.now();
      const expiresAt = requestedExpiry(body, now, deps.settings.current['tokens.maxValidityDays']);
      const scope = scopeOf(body.tokenScope);
      // tokengate names users by their user name; the original's user key is that name here.
      const owner = body.tokenForUserKey ?? req.principal.username;
      const created = await deps.tokens.create(req.principal, requestContext(req), owner, {
        description,
        ...(scope !== undefined ? { scope } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      });
      const t = created.record;
      return {
        ...toCompatToken(t),
        tokenScope: SCOPE_NUMBER[t.scope],
        plainTextToken: created.token,
        tokenDescription: t.description,
        tokenExpirationDateTime: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
        tokenExpirationDateTimeMillis: t.expiresAt ?? 0,
      };
    });

    app.patch('/user/token/:id', { schema: ROUTE_SCHEMAS.patch }, async (req) => {
      const description = checkDescription(req.body.tokenDescription, 'tokenDescription');
      await live(req, req.params.id);
      return toCompatToken(
        await deps.tokens.updateDescription(
          req.principal,
          requestContext(req),
          req.params.id,
          description,
          true,
        ),
      );
    });

    app.delete('/user/token/:id', { schema: ROUTE_SCHEMAS.remove }, async (req) => {
      await live(req, req.params.id);
      await deps.tokens.revoke(req.principal, requestContext(req), req.params.id, true);
      return true;
    });

    app.get('/user/tokensByFilter', { schema: ROUTE_SCHEMAS.filter }, async (req) =>
      filterPage(deps, req, req.query),
    );
  };
}
