import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthResult, Gateway } from '../../auth/gateway.js';
import type { NamedLogger } from '../../log/log-manager.js';
import { rateLimitHeaders, type IdentityHeaderNames } from './headers.js';
import { checkRequestTarget } from '../../domain/auth/request-target.js';
import { normalizeSocketIp } from '../../domain/auth/client-ip.js';
import { LogThrottle } from '../../log/throttle.js';
import { logIfUnavailable, requestContext } from './proxy-errors.js';
import { sendDenial, sendError } from './respond.js';
import type { BrowserSso } from '../../identity/browser-sso.js';
import { sendSignInRedirect, signInRedirect } from './browser-sso.js';
import { gatewaySessionCookie, withoutCookies } from './cookie-filter.js';
import { withheldCookies } from './proxy-request.js';
import type { AnswerCounter } from '../../metrics/request-metrics.js';
import type { Observation, RequestObserver } from '../../tracing/observation.js';

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The original request's method or URI. nginx sets X-Original-*, Traefik and Caddy set
 * X-Forwarded-*, and each copies the client's other headers through. So a client could add the
 * other pair to lie about its method (a read token "GET" that is really a POST). When both are
 * present and disagree, the request is refused rather than guessed.
 */
function original(
  a: string | undefined,
  b: string | undefined,
  normalize: (s: string) => string,
): string | undefined | null {
  if (a !== undefined && b !== undefined && normalize(a) !== normalize(b)) return null;
  return a ?? b;
}

const upper = (s: string): string => s.toUpperCase();
const same = (s: string): string => s;

/** `scheme://authority` of an absolute http(s) URL; the rest is the request target as sent. */
const URL_ORIGIN = /^(https?):\/\/([^/?#\s]*)/i;

/**
 * ingress-nginx's external auth sends X-Original-URL: `$scheme://$http_host$request_uri`, the
 * client's request target verbatim after the origin. It is split by hand, not with `new URL()`,
 * which would resolve dot segments and re-encode the path: the target is checked as the upstream
 * will get it. Undefined when absent; null when it is not an absolute http(s) URL with a path.
 */
function originalUrl(v: string | undefined): { origin: string; uri: string } | undefined | null {
  if (v === undefined) return undefined;
  const m = URL_ORIGIN.exec(v);
  if (m === null) return null;
  const uri = v.slice(m[0].length);
  if (!uri.startsWith('/')) return null;
  return { origin: `${(m[1] ?? '').toLowerCase()}://${m[2] ?? ''}`, uri };
}

/**
 * The original request's URL to come back to after sign-in: absolute when the proxy names the host
 * (X-Forwarded-Host, X-Forwarded-Proto, or else X-Original-URL's origin; only a trusted proxy's
 * original-request headers get this far), else the path. The sign-in route accepts only allowed hosts.
 */
function originalTarget(h: IncomingMessage['headers'], uri: string, urlOrigin: string | undefined): string {
  const host = first(h['x-forwarded-host']);
  if (!uri.startsWith('/')) return uri;
  // ingress-nginx names the host in X-Original-URL only.
  if (host === undefined) return urlOrigin === undefined ? uri : `${urlOrigin}${uri}`;
  const proto = first(h['x-forwarded-proto']) === 'http' ? 'http' : 'https';
  return `${proto}://${host}${uri}`;
}

type OriginalRequest =
  | { ok: true; method: string | undefined; uri: string | undefined; urlOrigin: string | undefined }
  | { ok: false; conflict: boolean; reason: string };

/** The original method and target the proxy names, or why they cannot be believed. */
function originalRequest(h: IncomingMessage['headers']): OriginalRequest {
  const method = original(first(h['x-original-method']), first(h['x-forwarded-method']), upper);
  const fromUrl = originalUrl(first(h['x-original-url']));
  if (fromUrl === null)
    return {
      ok: false,
      conflict: false,
      reason: 'X-Original-URL must be an absolute http(s) URL with a path',
    };
  // A client's own X-Original-URI or X-Forwarded-Uri passes through ingress-nginx's subrequest:
  // all that are present must name the same target.
  const uriHeaders = original(first(h['x-original-uri']), first(h['x-forwarded-uri']), same);
  const uri = uriHeaders === null ? null : original(uriHeaders, fromUrl?.uri, same);
  if (method === null || uri === null)
    return {
      ok: false,
      conflict: true,
      reason: 'conflicting X-Original-Method/URI/URL and X-Forwarded-Method/Uri headers',
    };
  return { ok: true, method, uri, urlOrigin: fromUrl?.origin };
}

/** The headers that describe the original request; only a trusted proxy may send them. */
const ORIGINAL_HEADERS = [
  'x-original-method',
  'x-original-uri',
  'x-original-url',
  'x-forwarded-method',
  'x-forwarded-uri',
];

/** A misconfigured proxy would send every request this way: say so at most this often. */
const UNTRUSTED_WARN_INTERVAL_MS = 60_000;

/**
 * Logs the requests refused for X-Original-* headers from an untrusted peer: one line per
 * UNTRUSTED_WARN_INTERVAL_MS, with the number refused since the last line.
 */
function untrustedPeerWarner(log: NamedLogger): (peer: string | undefined, id: string) => void {
  let lastUntrustedWarn = Number.NEGATIVE_INFINITY;
  let untrustedSince = 0;
  return function warnUntrustedPeer(peer, id) {
    untrustedSince++;
    const now = Date.now();
    if (now - lastUntrustedWarn >= UNTRUSTED_WARN_INTERVAL_MS) {
      log.warn(
        `forward-auth refused ${untrustedSince} request(s) with X-Original-*/X-Forwarded-Method/-Uri from ${normalizeSocketIp(peer)}, which is not in auth.trustedProxies (request ${id})`,
      );
      lastUntrustedWarn = now;
      untrustedSince = 0;
    }
  };
}

/** Answers one request; a promise when the answer waits for the authentication. */
type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  obs: Observation | null,
) => Promise<void> | undefined;

/** 200 with the identity and rate-limit headers for the proxy to copy upstream. */
function sendAllowed(
  res: ServerResponse,
  auth: AuthResult,
  names: IdentityHeaderNames,
  id: string,
  cookie: string | null,
): void {
  const headers: Record<string, string> = {
    'x-request-id': id,
    'x-tokengate-outcome': auth.outcome.kind,
    'cache-control': 'no-store',
    'content-length': '0',
  };
  if (auth.identity) {
    headers[names.user] = auth.identity.user;
    // A browser session has no token: no token id header rather than an empty one.
    if (auth.identity.tokenId !== '') headers[names.tokenId] = auth.identity.tokenId;
    headers[names.scope] = auth.identity.scope;
  }
  if (auth.rate) Object.assign(headers, rateLimitHeaders(auth.rate));
  // With browser sign-in: the request's cookies without tokengate's, for the proxy to send upstream
  // in place of the client's (nginx proxy_set_header, Caddy copy_headers, Traefik
  // authResponseHeaders); absent when none is left, so the proxy sends none.
  if (cookie !== null) headers.cookie = cookie;
  res.writeHead(200, headers);
  res.end();
}

/** A fault (never an expected outcome) answers 503: fail closed, an error is never an allow. */
function sendFailure(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  log: NamedLogger,
  unavailable: LogThrottle,
): void {
  if (!logIfUnavailable(req, err, log, unavailable, 'forward-auth: authentication failed'))
    log.error('forward-auth failed', err, requestContext(req));
  // Fail closed: an error is never an allow.
  sendError(res, 'unavailable', 'authentication is unavailable; try again shortly');
}

/**
 * `/_tokengate/auth`: the same decision for nginx `auth_request`, Traefik ForwardAuth and Caddy
 * `forward_auth`. The original method and URI come from X-Original-Method / X-Original-URI (nginx),
 * X-Original-URL (ingress-nginx) or X-Forwarded-Method / X-Forwarded-Uri (Traefik, Caddy). 200
 * carries the identity as response headers for the proxy to copy upstream; 401, 403 and 429 refuse,
 * with a JSON body.
 */
export function forwardAuthHandler(
  gateway: Gateway,
  names: IdentityHeaderNames,
  log: NamedLogger,
  requestId: (given: string | string[] | undefined) => string,
  browser: BrowserSso | null = null,
  answers: AnswerCounter | null = null,
  observer: RequestObserver | null = null,
): (req: IncomingMessage, res: ServerResponse) => void {
  // One line per 10 s while the database is away, not one per request.
  const unavailable = new LogThrottle(10_000);
  const warnUntrustedPeer = untrustedPeerWarner(log);
  const withheld = browser === null ? null : withheldCookies(browser);
  const handle: Handler = (req, res, obs) => {
    const h = req.headers;
    const id = requestId(h['x-request-id']);
    if (obs !== null) obs.requestId = id;
    // Only a trusted proxy may say what the original request was. From anyone else these headers are
    // a claim, and a wrong claim (GET for a POST) would let a read token write: refuse, never guess.
    if (
      ORIGINAL_HEADERS.some((name) => h[name] !== undefined) &&
      !gateway.trustsPeer(req.socket.remoteAddress)
    ) {
      warnUntrustedPeer(req.socket.remoteAddress, id);
      // 403, not 400: nginx turns any answer but 2xx, 401 and 403 into a 500.
      sendError(
        res,
        'forbidden',
        'X-Original-Method/URI/URL and X-Forwarded-Method/Uri are accepted only from a trusted proxy (auth.trustedProxies)',
        { 'x-request-id': id },
      );
      return;
    }
    const given = originalRequest(h);
    if (!given.ok) {
      if (given.conflict)
        log.warn(`forward-auth refused: X-Original-* and X-Forwarded-* disagree (request ${id})`);
      // 403, not 400: nginx turns any answer but 2xx, 401 and 403 into a 500.
      sendError(res, 'forbidden', given.reason, { 'x-request-id': id });
      return;
    }
    const method = (given.method ?? req.method ?? 'GET').toUpperCase();
    const uri = given.uri ?? '/';
    // nginx, Traefik and Caddy copy the client's headers into the subrequest: method overrides included,
    // in every spelling (the raw headers).
    const target = checkRequestTarget(uri, req.rawHeaders);
    if (!target.ok) {
      // 403, not 400: nginx turns any answer but 2xx, 401 and 403 into a 500.
      sendError(res, 'forbidden', target.reason, { 'x-request-id': id });
      return;
    }
    if (obs !== null) {
      obs.original(method, target.path);
      obs.authStarted();
    }
    return gateway
      .authenticate({
        method,
        path: target.path,
        query: target.query,
        contentType: first(h['content-type']),
        methodOverride: target.methodOverride,
        authorization: h.authorization,
        sessionCookie: browser ? gatewaySessionCookie(h.cookie, browser.cookieName) : null,
        peerIp: req.socket.remoteAddress,
        forwardedFor: h['x-forwarded-for'],
        requestId: id,
      })
      .then((auth) => {
        if (obs !== null) obs.authEnded(auth);
        if (!auth.allowed) {
          const signIn = signInRedirect(browser, auth, method, h, originalTarget(h, uri, given.urlOrigin));
          if (signIn === null) sendDenial(res, auth, { 'x-request-id': id });
          // nginx's auth_request turns anything but 2xx, 401 and 403 into 500: it gets 401 with the
          // Location for `error_page 401`; Traefik and Caddy hand a 302 to the browser as it is.
          else if (h['x-original-uri'] !== undefined || h['x-original-url'] !== undefined)
            sendDenial(res, auth, { 'x-request-id': id, location: signIn });
          else sendSignInRedirect(res, signIn, { 'x-request-id': id });
          return;
        }
        const cookie =
          withheld === null || h.cookie === undefined ? null : withoutCookies(h.cookie, withheld);
        sendAllowed(res, auth, names, id, cookie);
      })
      .catch((err: unknown) => {
        sendFailure(req, res, err, log, unavailable);
      });
  };
  return counted(handle, answers, observer);
}

/**
 * The handler, counting each answer by status class when `answers` is given and logging and
 * tracing it when `observer` is; with neither, the bare handler.
 */
function counted(
  handle: Handler,
  answers: AnswerCounter | null,
  observer: RequestObserver | null,
): (req: IncomingMessage, res: ServerResponse) => void {
  if (answers === null && observer === null)
    return (req, res) => {
      void handle(req, res, null);
    };
  // Every answer is sent by the time `handle` returns, or its promise settles.
  const answered = (res: ServerResponse, obs: Observation | null): void => {
    if (res.headersSent) answers?.answered(res.statusCode);
    if (obs !== null) obs.finish(res);
  };
  return (req, res) => {
    const obs = observer === null ? null : observer.begin(req, 'forward_auth');
    const pending = handle(req, res, obs);
    if (pending === undefined) answered(res, obs);
    else void pending.then(() => answered(res, obs));
  };
}
