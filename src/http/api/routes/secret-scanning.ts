import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { RequestContext } from '../../../domain/audit/audit.js';
import { AppError } from '../../../domain/errors.js';
import { systemContext } from '../../../services/context.js';
import {
  compileScannerKeys,
  KEY_ID_HEADER,
  LEAK_AUTHOR,
  LeakResponder,
  MAX_ALERT_ENTRIES,
  SIGNATURE_HEADER,
} from '../../../services/leak-response.js';
import type { ApiDeps } from '../context.js';
import { ErrorResponse } from '../schemas.js';

const LeakLabels = Type.Array(
  Type.Object({
    token_hash: Type.String({ description: 'SHA-256 of the token, hex' }),
    token_type: Type.String(),
    label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive')]),
  }),
);

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The audit context: the scanner is the author; the request says from where. */
function leakContext(req: FastifyRequest): RequestContext {
  return {
    ...systemContext(LEAK_AUTHOR),
    sourceIp: req.client.clientIp,
    proxyIp: req.client.proxyIp,
    requestId: req.id,
    method: req.method,
    endpoint: req.routeOptions.url ?? null,
  };
}

/**
 * `POST /_tokengate/api/v1/secret-scanning`: alerts from a secret scanner in the format of GitHub's
 * secret scanning partner program (docs/secret-scanning.md). No credentials: the body's ECDSA
 * signature authenticates it. Off by default; then it answers 404 (`not_found`) and is left out of
 * the OpenAPI document.
 */
export function secretScanningRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  const responder = deps.secretScanning?.enabled ? makeResponder(deps, deps.secretScanning) : null;
  return async (app) => {
    // The signature covers the exact bytes sent: this plugin, and only it, keeps JSON bodies raw
    // (within the API's body limit, which the parser inherits).
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
      done(null, body);
    });
    app.post(
      '/secret-scanning',
      {
        // Public even when off, so that it answers 404 rather than asking for credentials.
        config: { public: true },
        schema: {
          hide: responder === null,
          tags: ['secret-scanning'],
          operationId: 'reportLeakedTokens',
          summary: 'Report leaked tokens (GitHub secret scanning partner format)',
          description: `A JSON array of {token, type, url, source}, at most ${MAX_ALERT_ENTRIES} entries, signed with ECDSA P-256 / SHA-256 over the raw body: ${KEY_ID_HEADER} names a key of secretScanning.publicKeys, ${SIGNATURE_HEADER} is the base64 DER signature. Each tokengate token found is revoked and its owner told; the answer labels each distinct token by its SHA-256.`,
          security: [],
          response: { 200: LeakLabels, 400: ErrorResponse, 401: ErrorResponse, 413: ErrorResponse },
        },
      },
      async (req) => {
        if (responder === null)
          throw new AppError('not_found', 'secret scanning alerts are turned off (secretScanning.enabled)');
        return responder.respond(
          {
            body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
            keyId: header(req, KEY_ID_HEADER),
            signature: header(req, SIGNATURE_HEADER),
          },
          leakContext(req),
        );
      },
    );
  };
}

/** At start-up: a bad key stops the server with the entry named, rather than refusing every alert. */
function makeResponder(deps: ApiDeps, config: NonNullable<ApiDeps['secretScanning']>): LeakResponder {
  if (config.publicKeys.length === 0)
    throw new Error('secretScanning.enabled needs at least one entry in secretScanning.publicKeys');
  return new LeakResponder({
    keys: compileScannerKeys(config.publicKeys),
    lookup: {
      findByHash: (hash) => deps.store.tokens.findByHash(hash),
      findById: (id) => deps.store.tokens.findById(id),
      findRotated: (hash) => deps.store.tokens.findRotated(hash),
    },
    users: deps.store.users,
    tokens: deps.tokens,
    ...(deps.notifier ? { notifier: deps.notifier } : {}),
    now: deps.now,
  });
}
