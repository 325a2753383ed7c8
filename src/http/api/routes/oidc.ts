import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../../domain/errors.js';
import { OidcError, PENDING_LOGIN_TTL_MS, type PendingLogin } from '../../../identity/oidc.js';
import { safeReturnTo } from '../../../identity/redirect.js';
import { clearCookieHeader, cookieName, setCookieHeader } from '../../../identity/sealed-cookie.js';
import { OIDC_UI_PATH, PENDING_COOKIE, UI_HOME, type OidcUi } from '../../../identity/ui-identity.js';
import { clearSessionCookie, readCookie } from '../../cookies.js';
import type { ApiDeps } from '../context.js';
import { errorResponse } from '../../edge/respond.js';
import { isHttps, openVerifiedSession, quietSessionCookie } from './session.js';

/**
 * The web UI's sign-in with the OpenID provider, on the admin listener under `/_tokengate/oidc`:
 * `login` sends the browser to the provider with a fresh state, nonce and PKCE verifier (sealed in a
 * short-lived cookie), `callback` checks the answer, creates or updates the user just in time and
 * opens the same session a password sign-in opens. `logout` ends the session and names the provider's
 * end-session URL. The sign-in page learns of the button from GET /session's 401 (session.ts).
 */
export function oidcRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/login',
      {
        config: { public: true },
        schema: {
          hide: true,
          querystring: Type.Object({ returnTo: Type.Optional(Type.String({ maxLength: 4096 })) }),
        },
      },
      async (req, reply) => {
        const oidc = enabled(deps);
        const returnTo = safeReturnTo(req.query.returnTo, {
          allowedHosts: [oidc.externalHost],
          defaultPath: UI_HOME,
        });
        const { url, pending } = await oidc.client.start(returnTo).catch(refusal);
        const secure = isHttps(req, deps.settings.snapshot.trustedProxies);
        const sealed = oidc.pending.seal(pending, PENDING_LOGIN_TTL_MS);
        void reply.header(
          'set-cookie',
          setCookieHeader(PENDING_COOKIE, sealed, { secure, maxAgeSec: PENDING_LOGIN_TTL_MS / 1000 }),
        );
        return reply.redirect(url, 302);
      },
    );

    // The UI's sign-out when OIDC is on: ends the session like DELETE /session (the hook has checked
    // it and its CSRF token) and tells the browser where the provider's own sign-out is.
    app.post('/logout', { schema: { hide: true } }, async (req, reply) => {
      const oidc = enabled(deps);
      const cookie = quietSessionCookie(req);
      let logoutUrl: string | null = null;
      if (cookie !== null) {
        const origin = await deps.sessions.origin(cookie);
        await deps.sessions.signOut(cookie);
        // The provider being down must not keep anyone signed in here: our session is gone already.
        if (origin.method === 'oidc')
          logoutUrl = await oidc.client.logoutUrl(origin.idToken).catch(() => null);
      }
      void reply.header(
        'set-cookie',
        clearSessionCookie(isHttps(req, deps.settings.snapshot.trustedProxies)),
      );
      return { logoutUrl };
    });

    app.get('/callback', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
      const oidc = enabled(deps);
      const secure = isHttps(req, deps.settings.snapshot.trustedProxies);
      // The pending sign-in is single use: cleared whatever happens next.
      const clearPending = clearCookieHeader(PENDING_COOKIE, secure);
      try {
        const pending = oidc.pending.open(readCookie(req.headers.cookie, cookieName(PENDING_COOKIE, secure)));
        if (pending === null) throw new OidcError('state-mismatch', 'no pending sign-in');
        const signIn = await oidc.client.finish(callbackUrl(oidc, req), pending).catch(refusal);
        const { claims, tokens } = signIn;
        const opened = await openVerifiedSession(
          deps,
          req,
          'oidc',
          { ...claims, disabled: false },
          tokens.idToken,
        );
        void reply.header('set-cookie', [clearPending, opened.setCookie]);
        return await reply.redirect(returnTarget(oidc, pending), 302);
      } catch (err) {
        void reply.header('set-cookie', clearPending);
        return refusedPage(deps, req, reply, err);
      }
    });
  };
}

function enabled(deps: ApiDeps): OidcUi {
  const oidc = deps.identity?.oidc ?? null;
  if (oidc === null) throw new AppError('not_found', 'sign-in with an OpenID provider is not configured');
  return oidc;
}

/**
 * The callback URL as the provider sent it: the configured external URL with this request's query,
 * so that a proxy rewriting Host cannot change which redirect URI the code is redeemed for.
 */
function callbackUrl(oidc: OidcUi, req: FastifyRequest): URL {
  const url = new URL(`${oidc.externalUrl}${OIDC_UI_PATH}/callback`);
  url.search = new URL(req.url, 'http://callback.invalid').search;
  return url;
}

/** Checked again on the way out: the cookie was sealed by us, but the rules are cheap to re-apply. */
function returnTarget(oidc: OidcUi, pending: PendingLogin): string {
  return safeReturnTo(pending.returnTo, { allowedHosts: [oidc.externalHost], defaultPath: UI_HOME });
}

/** OidcError → the catalogue: the provider being down is 503, anything else a refused sign-in (401). */
function refusal(err: unknown): never {
  if (err instanceof OidcError) {
    if (err.retryable) throw new AppError('unavailable', err.message);
    throw new AppError('unauthorized', `sign-in refused: ${err.message}`);
  }
  throw err;
}

/**
 * A refused or failed sign-in: JSON for scripts, a small page for the browser (it arrives here by a
 * redirect from the provider, so a JSON body would be all the user sees). Faults go to the log.
 */
function refusedPage(deps: ApiDeps, req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  let appError: AppError;
  try {
    refusal(err);
  } catch (mapped) {
    err = mapped;
  }
  if (err instanceof AppError) appError = err;
  else {
    deps.logError(`${req.method} ${OIDC_UI_PATH}/callback failed`, err);
    appError = new AppError('internal', 'internal error; the server log has the details');
  }
  deps.identity?.log.warn(`web UI sign-in (oidc) refused: ${appError.message} (request ${req.id})`);
  const r = errorResponse(appError, { challenge: false });
  const accept = req.headers.accept ?? '';
  void reply.code(r.status).headers(r.headers);
  if (!accept.includes('text/html')) return reply.send(r.body);
  return reply.type('text/html; charset=utf-8').send(page(appError));
}

function page(err: AppError): string {
  const text = err.message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in refused · tokengate</title></head><body><main><h1>Sign-in refused</h1><p data-testid="oidc-refused">${text}</p><p><a href="${UI_HOME}">Back to the sign-in page</a></p></main></body></html>`;
}
