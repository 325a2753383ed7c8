import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AppError,
  codeForStatus,
  errorBody,
  errorHeaders,
  type ErrorBody,
  type ErrorCode,
} from '../../domain/errors.js';
import { isGitSmartHttp } from '../../domain/auth/read-rules.js';
import type { AuthResult } from '../../auth/gateway.js';
import { rateLimitHeaders } from './headers.js';

/** How an error response is represented, raw or through Fastify. */
const ERROR_REPRESENTATION = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
};

/** An error response, before it is written: what both renderers send. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: ErrorBody;
}

/**
 * The one rendering of a catalogue error, used by the raw-HTTP paths (sendError below: the proxy,
 * forward-auth, the middleware, the listeners) and by the management API (http/api/errors.ts): the
 * status and the code's headers (WWW-Authenticate on a 401, Retry-After on a 503) come from the
 * catalogue, then the caller's `headers` (which may override them), then the JSON representation's.
 * `challenge: false` leaves out the 401's challenge (see errorHeaders).
 */
export function errorResponse(
  err: AppError,
  opts: { headers?: Record<string, string | string[]>; challenge?: boolean } = {},
): ErrorResponse {
  return {
    status: err.status,
    headers: {
      ...errorHeaders(err.code, { challenge: opts.challenge }),
      ...opts.headers,
      ...ERROR_REPRESENTATION,
    },
    body: errorBody(err),
  };
}

/** Writes a catalogue error as JSON, on the raw (non-Fastify) paths. */
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
  const r = errorResponse(new AppError(code, message), { headers });
  const body = JSON.stringify(r.body);
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

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
  const code = codeForStatus(r.status) ?? 'forbidden';
  const headers: Record<string, string | string[]> = { ...extra, ...errorHeaders(code) };
  if (r.rate) Object.assign(headers, rateLimitHeaders(r.rate));
  // A response object made by hand (tests, adapters) may have no request.
  const url = (res.req as IncomingMessage | undefined)?.url;
  if (url !== undefined && isGitSmartHttp(url)) sendGitDenial(res, r, headers);
  else sendError(res, code, r.message, headers);
}
