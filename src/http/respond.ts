import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, errorBody, type ErrorCode } from '../domain/errors.js';
import { isGitSmartHttp } from '../domain/read-rules.js';
import { WWW_AUTHENTICATE } from '../services/authenticator.js';
import type { AuthResult } from '../gateway/gateway.js';
import { rateLimitHeaders } from './headers.js';

/** Seconds a client is asked to wait before retrying a 503 (the management API says the same). */
const RETRY_AFTER_SECONDS = '5';

/**
 * Writes a catalogue error as JSON, on the raw (non-Fastify) paths. A 503 always carries
 * Retry-After, whoever sends it (the proxy, forward-auth).
 */
export function sendError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const error = new AppError(code, message);
  const body = JSON.stringify(errorBody(error));
  res.writeHead(error.status, {
    ...(error.status === 503 ? { 'retry-after': RETRY_AFTER_SECONDS } : {}),
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  401: 'unauthorized',
  403: 'forbidden',
  429: 'rate_limited',
};

/** Said to git after a read token's refused push: its message alone would only name the method. */
const GIT_READ_ONLY_HINT = 'This token is read-only: it can clone and fetch, but a push needs a write token.';

/**
 * Git shows a text/plain error body to its user, one `remote: …` line per line, and hides any other
 * type; so a Git smart-HTTP request gets its denial as text. Judged on the request the response
 * answers (the proxy's and the middleware's; forward-auth's answer never reaches git).
 */
function sendGitDenial(res: ServerResponse, r: AuthResult, headers: Record<string, string | string[]>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const hint =
    r.outcome.kind === 'denied' && r.outcome.reason === 'read-only' ? `\n${GIT_READ_ONLY_HINT}` : '';
  const body = `${r.message}${hint}\n`;
  res.writeHead(r.status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Renders a refused authentication: 401 with the challenges, 403, or 429 with Retry-After and RateLimit headers. */
export function sendDenial(res: ServerResponse, r: AuthResult, extra: Record<string, string> = {}): void {
  const headers: Record<string, string | string[]> = { ...extra };
  if (r.status === 401) headers['www-authenticate'] = WWW_AUTHENTICATE;
  if (r.rate) Object.assign(headers, rateLimitHeaders(r.rate));
  // A response object made by hand (tests, adapters) may have no request.
  const url = (res.req as IncomingMessage | undefined)?.url;
  if (url !== undefined && isGitSmartHttp(url)) sendGitDenial(res, r, headers);
  else sendError(res, CODE_BY_STATUS[r.status] ?? 'forbidden', r.message, headers);
}
