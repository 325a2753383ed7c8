import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AuthResult } from '../../auth/gateway.js';
import type { GatewaySessions } from '../../auth/gateway-sessions.js';
import { resolveClientAddress, type ClientAddress } from '../../domain/auth/client-ip.js';
import { AppError } from '../../domain/errors.js';
import { OidcError, PENDING_LOGIN_TTL_MS, type PendingLogin } from '../../identity/oidc.js';
import type { UserProvisioning } from '../../identity/provisioning.js';
import { safeReturnTo } from '../../identity/redirect.js';
import {
  GATEWAY_COOKIE,
  isNavigation,
  signInUrl,
  SSO_PATH,
  SSO_PENDING_COOKIE,
  type BrowserSso,
} from '../../identity/browser-sso.js';
import { clearCookieHeader, setCookieHeader } from '../../identity/sealed-cookie.js';
import type { NamedLogger } from '../../log/log-manager.js';
import type { SettingsService } from '../../services/settings-service.js';
import { readCookie } from '../cookies.js';
import { gatewaySessionCookie } from './cookie-filter.js';
import { errorResponse, sendError } from './respond.js';

export interface BrowserSsoDeps {
  sso: BrowserSso;
  sessions: GatewaySessions;
  provisioning: UserProvisioning;
  settings: SettingsService;
  log: NamedLogger;
  requestId: (given: string | string[] | undefined) => string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The gateway's sign-in for browsers (auth.browser), under `/_tokengate/sso/` on the gateway's own
 * origin, so that its cookie is the origin's (never the admin UI's):
 * - `login?rd=<target>`: to the identity provider with a fresh state, nonce and PKCE verifier, sealed
 *   in a short-lived cookie with the checked return target;
 * - `callback`: checks the provider's answer, creates or updates the user just in time, opens a
 *   gateway session (a row of kind `gateway`, its cookie HttpOnly, SameSite=Lax, `__Host-` over
 *   https) and returns to the target;
 * - `logout` (GET or POST): ends the session on every node, clears the cookie and goes on to the
 *   provider's own sign-out (RP-initiated logout, with the ID token as the hint);
 * - `signed-out`: where the provider sends the browser back.
 */
export function browserSsoHandler(deps: BrowserSsoDeps): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const id = deps.requestId(req.headers['x-request-id']);
    const method = req.method ?? 'GET';
    const route = path.slice(SSO_PATH.length);
    const reading = method === 'GET' || method === 'HEAD';
    let done: Promise<void>;
    if (route === '/login' && reading) done = login(deps, req, res);
    else if (route === '/callback' && reading) done = callback(deps, req, res, id);
    else if (route === '/logout' && (reading || method === 'POST')) done = logout(deps, req, res, id);
    else if (route === '/signed-out' && reading) {
      sendPage(res, 200, 'Signed out', 'You are signed out.', 'Sign in again', '/');
      return;
    } else {
      sendError(res, 'not_found', `no route ${method} ${path}`, { 'x-request-id': id });
      return;
    }
    done.catch((err: unknown) => refused(deps, req, res, err, id));
  };
}

async function login(deps: BrowserSsoDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { sso } = deps;
  const rd = new URL(req.url ?? '/', 'http://x.invalid').searchParams.get('rd');
  const returnTo = safeReturnTo(rd, { allowedHosts: sso.allowedHosts, defaultPath: '/' });
  const { url, pending } = await sso.client.start(returnTo);
  const sealed = sso.pending.seal(pending, PENDING_LOGIN_TTL_MS);
  redirect(res, url, [
    setCookieHeader(SSO_PENDING_COOKIE, sealed, {
      secure: sso.secure,
      maxAgeSec: PENDING_LOGIN_TTL_MS / 1000,
    }),
  ]);
}

async function callback(
  deps: BrowserSsoDeps,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const { sso } = deps;
  // The pending sign-in is single use: cleared whatever happens next.
  const clearPending = clearCookieHeader(SSO_PENDING_COOKIE, sso.secure);
  res.setHeader('set-cookie', clearPending);
  const pending = sso.pending.open(readCookie(req.headers.cookie, sso.pendingCookieName));
  if (pending === null) throw new OidcError('state-mismatch', 'no pending sign-in');
  // The configured external URL with this request's query: a proxy rewriting Host cannot change it.
  const url = new URL(`${sso.externalUrl}${SSO_PATH}/callback`);
  url.search = new URL(req.url ?? '/', 'http://x.invalid').search;
  const { claims, tokens } = await sso.client.finish(url, pending);
  const client = clientOf(deps, req);
  const user = await deps.provisioning.signIn(
    'oidc',
    { ...claims, disabled: false },
    {
      author: claims.username,
      sourceIp: client.clientIp,
      proxyIp: client.proxyIp,
      requestId: id,
      method: 'GET',
      endpoint: `${SSO_PATH}/callback`,
    },
  );
  if (user.disabled) throw new AppError('forbidden', 'the account is disabled');
  if (
    sso.allowedGroups.size > 0 &&
    ![...claims.groups, ...user.groups].some((g) => sso.allowedGroups.has(g))
  ) {
    deps.log.warn(
      `gateway sign-in (oidc) refused: user ${user.username} is in none of auth.browser.allowedGroups (request ${id})`,
    );
    throw new AppError('forbidden', 'your account is not in a group allowed to sign in here');
  }
  const opened = await deps.sessions.open(user, client.clientIp, { method: 'oidc', idToken: tokens.idToken });
  deps.log.info(`gateway sign-in (oidc): user ${user.username} from ${client.clientIp} (request ${id})`);
  redirect(res, returnTarget(sso, pending), [
    clearPending,
    setCookieHeader(GATEWAY_COOKIE, opened.cookie, { secure: sso.secure, maxAgeSec: sso.ttlMs / 1000 }),
  ]);
}

async function logout(
  deps: BrowserSsoDeps,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const { sso } = deps;
  const value = gatewaySessionCookie(req.headers.cookie, sso.cookieName);
  const origin = value === null ? null : await deps.sessions.signOut(value);
  if (origin !== null) deps.log.info(`gateway sign-out from ${clientOf(deps, req).clientIp} (request ${id})`);
  // The provider being down must not keep anyone signed in here: our session is gone already.
  const providerLogout =
    origin?.method === 'oidc' ? await sso.client.logoutUrl(origin.idToken).catch(() => null) : null;
  redirect(res, providerLogout ?? `${SSO_PATH}/signed-out`, [clearCookieHeader(GATEWAY_COOKIE, sso.secure)]);
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Where a refused request is sent to sign in, or null: only with browser sign-in on, only for a
 * request that presented nothing at all (no credentials, no live session), and only for a browser's
 * page navigation. Scripts keep their 401.
 */
export function signInRedirect(
  sso: BrowserSso | null | undefined,
  auth: AuthResult,
  method: string,
  headers: IncomingHttpHeaders,
  target: string,
): string | null {
  if (sso == null || auth.outcome.kind !== 'denied' || auth.outcome.reason !== 'no-credentials') return null;
  const accept = one(headers.accept);
  const mode = one(headers['sec-fetch-mode']);
  if (!isNavigation(method, accept, mode, one(headers['x-requested-with']))) return null;
  return signInUrl(sso, target);
}

/** 302 to sign in; nothing of the refused request's body is read (the connection closes if it had one). */
export function sendSignInRedirect(
  res: ServerResponse,
  location: string,
  extra: Record<string, string | string[]>,
): void {
  res.writeHead(302, { ...extra, location, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

/** Checked again on the way out: the cookie was sealed by us, but the rules are cheap to re-apply. */
function returnTarget(sso: BrowserSso, pending: PendingLogin): string {
  return safeReturnTo(pending.returnTo, { allowedHosts: sso.allowedHosts, defaultPath: '/' });
}

function clientOf(deps: BrowserSsoDeps, req: IncomingMessage): ClientAddress {
  return resolveClientAddress(
    req.socket.remoteAddress,
    req.headers['x-forwarded-for'],
    deps.settings.snapshot.trustedProxies,
  );
}

function redirect(res: ServerResponse, location: string, cookies: string[]): void {
  sendSignInRedirect(res, location, { 'set-cookie': cookies });
}

/** OidcError → the catalogue: the provider being down is 503, anything else a refused sign-in (401). */
function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof OidcError) {
    return err.retryable
      ? new AppError('unavailable', err.message)
      : new AppError('unauthorized', `sign-in refused: ${err.message}`);
  }
  return null;
}

/** A refused or failed sign-in: a small page for a browser, JSON for anything else. Faults go to the log. */
function refused(
  deps: BrowserSsoDeps,
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  id: string,
): void {
  let appError = toAppError(err);
  if (appError === null) {
    deps.log.error(`${req.method ?? 'GET'} ${SSO_PATH} failed (request ${id})`, err);
    appError = new AppError('internal', 'internal error; the server log has the details');
  } else deps.log.warn(`gateway sign-in refused: ${appError.message} (request ${id})`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const r = errorResponse(appError, { challenge: false });
  if (!(req.headers.accept ?? '').includes('text/html')) {
    sendError(res, appError.code, appError.message, { 'x-request-id': id });
    return;
  }
  sendPage(res, r.status, 'Sign-in refused', appError.message, 'Try again', '/');
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sendPage(
  res: ServerResponse,
  status: number,
  title: string,
  text: string,
  link: string,
  href: string,
): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · tokengate</title></head><body><main><h1>${escape(title)}</h1><p data-testid="sso-message">${escape(text)}</p><p><a href="${escape(href)}">${escape(link)}</a></p></main></body></html>`;
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'",
    'content-length': Buffer.byteLength(body),
  };
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
