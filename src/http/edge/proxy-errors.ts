import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthResult } from '../../auth/gateway.js';
import type { NamedLogger } from '../../log/log-manager.js';
import { heldBack, type LogThrottle } from '../../log/throttle.js';
import { isDatabaseUnavailable } from '../../store/db-errors.js';
import { maskTokens } from '../../domain/audit/audit.js';
import type { LogContext } from '../../log/layout.js';
import { sendError } from './respond.js';

/** The reverse proxy's own failures and how they are answered: a stalled client, an unreachable upstream. */

export /** A request body that made no progress for `clientBodyTimeoutMs`; answered 408. */
class ClientBodyTimeout extends Error {
  readonly code = 'TG_CLIENT_BODY_TIMEOUT';
}

/** A client that took nothing of a response for `clientSendTimeoutMs`; its connection is cut. */
export class ClientSendTimeout extends Error {
  readonly code = 'TG_CLIENT_SEND_TIMEOUT';
}

export /** 408 (request_timeout) and close, as node answers a request past `server.requestTimeoutMs`. */
function sendBodyTimeout(res: ServerResponse, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, 'request_timeout', 'no request body bytes arrived within proxy.clientBodyTimeoutMs', {
    'x-request-id': requestId,
    connection: 'close',
  });
}

/** The log context of a request that failed before it was authenticated. */
export function requestContext(req: IncomingMessage): LogContext {
  return {
    username: 'anonymous',
    requestId: '-',
    ip: req.socket.remoteAddress ?? '-',
    url: maskTokens((req.url ?? '/').split('?')[0] ?? '/'),
  };
}

/** Maps an upstream failure before its response started to 502 or 504. */
export function upstreamFailure(err: unknown): {
  status: 'bad_gateway' | 'gateway_timeout';
  message: string;
} {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { status: 'gateway_timeout', message: 'the upstream did not answer in time' };
  }
  return { status: 'bad_gateway', message: `the upstream could not be reached (${code || 'error'})` };
}

/** The log context of an authenticated request (or a refused one): who, which request, from where. */
export function authenticatedContext(auth: AuthResult, requestId: string, url: string): LogContext {
  return {
    username: auth.identity?.user ?? 'anonymous',
    requestId,
    ip: auth.client.clientIp,
    url: maskTokens(url.split('?')[0] ?? ''),
  };
}

/**
 * Fail closed: a fault while authenticating never lets the request through. The database being away
 * is 503 (logged once per `unavailable` period, not once per request); anything else is 500.
 */
export function sendFault(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  log: NamedLogger,
  unavailable: LogThrottle,
): void {
  if (logIfUnavailable(req, err, log, unavailable, 'authentication failed')) {
    sendError(res, 'unavailable', 'authentication is unavailable; try again shortly');
    return;
  }
  log.error(`proxying ${req.method ?? '?'} failed`, err);
  sendError(res, 'internal', 'internal error; the server log has the details');
}

/**
 * When `err` is the database being away: logs it once per `unavailable` period (not once per
 * request), as "<what>: the database is unavailable", and returns true. Otherwise logs nothing.
 */
export function logIfUnavailable(
  req: IncomingMessage,
  err: unknown,
  log: NamedLogger,
  unavailable: LogThrottle,
  what: string,
): boolean {
  if (!isDatabaseUnavailable(err)) return false;
  const held = unavailable.pass();
  if (held !== null)
    log.error(`${what}: the database is unavailable${heldBack(held)}`, err, requestContext(req));
  return true;
}
