import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthResult } from '../../auth/gateway.js';
import type { RateDecision } from '../../domain/auth/rate-limit.js';
import { SESSION_COOKIE } from '../cookies.js';
import { setsCookie, withoutCookies } from './cookie-filter.js';
import { connectionTokens, HOP_BY_HOP, rateLimitHeaders, type IdentityHeaderNames } from './headers.js';

/**
 * How the reverse proxy prepares a request for the upstream and its answer for the client: which
 * headers go each way, and what the request's body looks like.
 */

const NEVER_FORWARDED = [
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  'expect',
  // Zend Framework 1 and older Symfony route on these instead of the request line: a request
  // authorised as `GET /public` would be served as whatever they name.
  'x-original-url',
  'x-rewrite-url',
];

/** Every client header that never goes upstream as sent, lower-cased once when the proxy is built. */
export function droppedHeaders(
  identity: IdentityHeaderNames,
  stripHeaders: readonly string[],
): ReadonlySet<string> {
  return new Set(
    [...HOP_BY_HOP, ...NEVER_FORWARDED, identity.user, identity.tokenId, identity.scope, ...stripHeaders].map(
      (h) => h.toLowerCase(),
    ),
  );
}

/** What the proxy withholds from the upstream and what it adds, fixed when the proxy is built. */
export interface HeaderRules {
  /** Client headers never forwarded as sent ({@link droppedHeaders}). */
  dropped: ReadonlySet<string>;
  identityHeaders: IdentityHeaderNames;
  /** tokengate's cookies ({@link withheldCookies}). */
  withheld: readonly string[];
}

/** True when the request declares a body: a length or a chunked transfer. */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
}

/** The declared body length; null for a chunked body (node's parser has already checked the header). */
export function declaredLength(req: IncomingMessage): number | null {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && length !== undefined ? Number(length) : null;
}

/**
 * The cookies that are tokengate's and never the upstream's: the management session (the admin UI on
 * another port of the same host would receive a value the upstream set: cookies ignore ports) and,
 * with browser sign-in, the gateway session and its pending sign-in.
 */
export function withheldCookies(browser: { cookieName: string; pendingCookieName: string } | null): string[] {
  return browser === null
    ? [SESSION_COOKIE]
    : [SESSION_COOKIE, browser.cookieName, browser.pendingCookieName];
}

/** The upstream's Set-Cookie values without any that would set one of `withheld`; the others keep their bytes and order. */
function withoutOurCookies(value: string | string[], withheld: readonly string[]): string[] {
  return (Array.isArray(value) ? value : [value]).filter(
    (v) => !withheld.some((name) => setsCookie(v, name)),
  );
}

/** A client that asked to confirm before sending its body gets the go-ahead only now, authenticated. */
export function continueIfAsked(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
}

/**
 * The request headers the upstream gets: the client's, less the hop-by-hop ones, the identity
 * headers a client might forge, `dropped` (see {@link droppedHeaders}) and the management session
 * cookie; then X-Forwarded-*, the request ID and, on success, the identity. With tracing on,
 * `traceparent` replaces the client's (W3C Trace Context; tracestate passes as sent); null leaves
 * the client's as they are.
 */
export function upstreamRequestHeaders(
  req: IncomingMessage,
  requestId: string,
  auth: AuthResult,
  rules: HeaderRules,
  traceparent: string | null = null,
): string[] {
  const { dropped, identityHeaders, withheld } = rules;
  const raw = req.rawHeaders;
  const extraDrop = connectionTokens(req.headers.connection);
  const dropAuthorization = auth.identity !== null;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    // X_Forwarded_User and X-Forwarded-User look the same to CGI-style hosts: compare as the latter.
    const lower = name.toLowerCase().replaceAll('_', '-');
    if (dropped.has(lower) || extraDrop?.has(lower)) continue;
    if (dropAuthorization && lower === 'authorization') continue;
    if (traceparent !== null && lower === 'traceparent') continue;
    if (lower === 'cookie') {
      // tokengate's sessions are never the upstream's to see or replay (issue 14, finding 1).
      const kept = withoutCookies(raw[i + 1] ?? '', withheld);
      if (kept !== null) out.push(name, kept);
      continue;
    }
    out.push(name, raw[i + 1] ?? '');
  }
  const { client } = auth;
  const incomingXff = req.headers['x-forwarded-for'];
  const trusted = client.proxyIp !== null;
  const peer = client.proxyIp ?? client.clientIp;
  out.push('x-forwarded-for', trusted && incomingXff ? `${String(incomingXff)}, ${peer}` : peer);
  const proto = req.headers['x-forwarded-proto'];
  out.push('x-forwarded-proto', trusted && typeof proto === 'string' ? proto : 'http');
  const host = req.headers['x-forwarded-host'];
  out.push('x-forwarded-host', trusted && typeof host === 'string' ? host : (req.headers.host ?? ''));
  out.push('x-request-id', requestId);
  if (traceparent !== null) out.push('traceparent', traceparent);
  const id = auth.identity;
  if (id) {
    const names = identityHeaders;
    out.push(names.user, id.user, names.scope, id.scope);
    // A browser session has no token: no token id header rather than an empty one.
    if (id.tokenId !== '') out.push(names.tokenId, id.tokenId);
  }
  return out;
}

/** The upstream's response headers the client gets: less the hop-by-hop ones and the session cookie, plus the RateLimit headers. */
export function upstreamResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
  rate: RateDecision | null,
  withheld: readonly string[] = [SESSION_COOKIE],
): Record<string, string | string[]> {
  const extraDrop = connectionTokens(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || extraDrop?.has(name)) continue;
    if (name === 'set-cookie') {
      const kept = withoutOurCookies(value, withheld);
      if (kept.length > 0) out[name] = kept;
      continue;
    }
    out[name] = value;
  }
  if (rate) Object.assign(out, rateLimitHeaders(rate));
  return out;
}
