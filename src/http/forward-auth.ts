import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../gateway/gateway.js';
import type { NamedLogger } from '../log/log-manager.js';
import { rateLimitHeaders, type IdentityHeaderNames } from './headers.js';
import { sendDenial, sendError } from './respond.js';

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * `/_tokengate/auth`: the same decision for nginx `auth_request`, Traefik ForwardAuth and Caddy
 * `forward_auth`. The original method and URI come from X-Original-Method / X-Original-URI (nginx)
 * or X-Forwarded-Method / X-Forwarded-Uri (Traefik, Caddy). 200 carries the identity as response
 * headers for the proxy to copy upstream; 401, 403 and 429 refuse, with a JSON body.
 */
export function forwardAuthHandler(
  gateway: Gateway,
  names: IdentityHeaderNames,
  log: NamedLogger,
  requestId: (given: string | string[] | undefined) => string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const h = req.headers;
    const method = (
      first(h['x-original-method']) ??
      first(h['x-forwarded-method']) ??
      req.method ??
      'GET'
    ).toUpperCase();
    const uri = first(h['x-original-uri']) ?? first(h['x-forwarded-uri']) ?? '/';
    const q = uri.indexOf('?');
    const id = requestId(h['x-request-id']);
    gateway
      .authenticate({
        method,
        path: q === -1 ? uri : uri.slice(0, q),
        authorization: h.authorization,
        peerIp: req.socket.remoteAddress,
        forwardedFor: h['x-forwarded-for'],
        requestId: id,
      })
      .then((auth) => {
        if (!auth.allowed) {
          sendDenial(res, auth, { 'x-request-id': id });
          return;
        }
        const headers: Record<string, string> = {
          'x-request-id': id,
          'x-tokengate-outcome': auth.outcome.kind,
          'cache-control': 'no-store',
          'content-length': '0',
        };
        if (auth.identity) {
          headers[names.user] = auth.identity.user;
          headers[names.tokenId] = auth.identity.tokenId;
          headers[names.scope] = auth.identity.scope;
        }
        if (auth.rate) Object.assign(headers, rateLimitHeaders(auth.rate));
        res.writeHead(200, headers);
        res.end();
      })
      .catch((err: unknown) => {
        log.error('forward-auth failed', err);
        // Fail closed: an error is never an allow.
        sendError(res, 'unavailable', 'authentication is unavailable; try again shortly');
      });
  };
}
