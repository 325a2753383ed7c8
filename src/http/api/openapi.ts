import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifySchema, RouteOptions } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode } from '../../domain/errors.js';
import { ErrorResponse } from './schemas.js';

/**
 * The OpenAPI document of the management API: @fastify/swagger builds it from the route schemas, and
 * this file adds what every operation shares, so the route files declare only what is their own.
 */

/** The licence of the package (package.json `license`; test/api-openapi.test.ts checks they agree). */
const LICENSE = { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' } as const;

const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** A route as the swagger transform sees it: its method(s), path, schema and config. */
interface DocRoute {
  method: RouteOptions['method'];
  url: string;
  schema: FastifySchema & { hide?: boolean; operationId?: string };
  config?: { public?: boolean; etag?: boolean };
}

function methodsOf(route: DocRoute): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase());
}

/** Whether a route declares the If-Match request header (preconditions.ts, IfMatchHeaders). */
function takesIfMatch(schema: FastifySchema): boolean {
  const headers = schema.headers as { properties?: Record<string, unknown> } | undefined;
  return headers?.properties?.['if-match'] !== undefined;
}

/**
 * The error codes an operation can answer with, besides the ones its route declares: what the
 * authentication hook, the body parser, the validator, the brute-force guard and the database can do
 * to any request of its kind.
 */
function sharedErrorCodes(route: DocRoute): ErrorCode[] {
  const codes: ErrorCode[] = [];
  const s = route.schema;
  const withBody = s.body !== undefined || methodsOf(route).some((m) => BODY_METHODS.has(m));
  if (withBody || s.querystring !== undefined || s.params !== undefined) codes.push('invalid_request');
  if (route.config?.public !== true) codes.push('unauthorized', 'forbidden');
  if (s.params !== undefined) codes.push('not_found');
  if (takesIfMatch(s)) codes.push('precondition_failed');
  if (withBody) codes.push('payload_too_large', 'unsupported_media_type');
  // Brute-force blocks refuse any credentials, and a sign-in is a credential too.
  if (route.config?.public !== true || withBody) codes.push('rate_limited');
  codes.push('internal');
  // The health probes declare their own 503 (a body of their own), or have none (livez).
  if (!(s.tags as string[] | undefined)?.includes('health')) codes.push('unavailable');
  return codes;
}

/** The response schema of an error status, described by the catalogue's summaries for that status. */
function errorResponseFor(codes: readonly ErrorCode[]): Record<string, unknown> {
  const description = codes.map((c) => `\`${c}\`: ${ERROR_CATALOGUE[c].summary}`).join(' ');
  return { ...ErrorResponse, description };
}

/** Response headers by status, whatever the route: the document says what clients can rely on. */
const HEADERS_BY_STATUS: Record<number, Record<string, { type: string; description: string }>> = {
  201: {
    Location: { type: 'string', description: 'The URL of the new resource.' },
  },
  401: {
    'WWW-Authenticate': {
      type: 'string',
      description: 'The Basic and Bearer challenges (left out for `X-Requested-With: XMLHttpRequest`).',
    },
  },
  429: {
    'Retry-After': { type: 'integer', description: 'Seconds until a retry can succeed.' },
  },
  503: {
    'Retry-After': { type: 'integer', description: 'Seconds until a retry can succeed.' },
  },
};

/** A response schema with the headers its status carries (@fastify/swagger moves them beside it). */
function withHeaders(status: number, schema: unknown, extra: object = {}): unknown {
  const headers = { ...HEADERS_BY_STATUS[status], ...extra };
  if (Object.keys(headers).length === 0 || typeof schema !== 'object' || schema === null) return schema;
  const own = (schema as { headers?: object }).headers;
  return { ...schema, headers: { ...headers, ...own } };
}

const ETAG_HEADER = {
  ETag: {
    type: 'string',
    description:
      "The object's version: send it back in If-Match to change or delete it only if nobody else has.",
  },
};

function codesWithStatus(status: number): ErrorCode[] {
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter((c) => ERROR_CATALOGUE[c].status === status);
}

/** Marks a schema that `hoistNamedSchemas` turns into a component of that name. */
const COMPONENT_MARK = 'x-tokengate-component';

/**
 * A response schema with an `$id` (Error, Token, User…) is marked, so that the document refers to
 * one component instead of repeating it inline in every operation.
 */
function markNamed(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const id = (schema as { $id?: unknown }).$id;
  return typeof id === 'string' ? { ...schema, [COMPONENT_MARK]: id } : schema;
}

/**
 * The document's marked schemas become `#/components/schemas/<name>` and a `$ref` to it. A response
 * keeps its own description (the codes it stands for), which sits beside the schema, not in it.
 */
function hoistNamedSchemas<T extends object>(doc: T): T {
  const components = ((doc as { components?: { schemas?: Record<string, unknown> } }).components ??= {});
  const schemas = (components.schemas ??= {});
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) if (k !== COMPONENT_MARK) out[k] = visit(v);
    const name = record[COMPONENT_MARK];
    if (typeof name !== 'string') return out;
    delete out.description;
    schemas[name] ??= out;
    return { $ref: `#/components/schemas/${name}` };
  };
  for (const [k, v] of Object.entries(doc))
    if (k !== 'components') (doc as Record<string, unknown>)[k] = visit(v);
  return doc;
}

/** An operationId for a route that declares none (routes of other files): method and path, camelCase. */
export function derivedOperationId(method: string, url: string): string {
  const words = url
    .replace(/^\/_tokengate(\/api\/v1)?/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

/**
 * Completes one operation of the document: its operationId and the error responses it shares with
 * the others. The route's own schema object is left alone (it also validates requests): this returns
 * a copy.
 */
function documentRoute(route: DocRoute): { schema: FastifySchema; url: string } {
  const schema = route.schema;
  if (schema.hide === true) return { schema, url: route.url };
  const declared = (schema.response ?? {}) as Record<string, unknown>;
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of sharedErrorCodes(route)) {
    const { status } = ERROR_CATALOGUE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const response: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(declared)) {
    // A route's own error statuses are described by every catalogue code with that status.
    const schema = r === ErrorResponse ? errorResponseFor(codesWithStatus(Number(status))) : r;
    const etag = route.config?.etag === true && status === '200' ? ETAG_HEADER : {};
    response[status] = withHeaders(Number(status), markNamed(schema), etag);
  }
  for (const [status, codes] of byStatus) {
    if (response[status] === undefined)
      response[status] = withHeaders(status, markNamed(errorResponseFor(codes)));
  }
  const method = methodsOf(route)[0] ?? 'GET';
  return {
    url: route.url,
    schema: {
      ...schema,
      operationId: schema.operationId ?? derivedOperationId(method, route.url),
      ...(schema.body !== undefined ? { body: markNamed(schema.body) } : {}),
      response,
    },
  };
}

/** The swagger plugin's options: the document's header, component names and the per-route completion. */
export function openApiOptions(version: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tokengate management API',
        version,
        license: { ...LICENSE },
        description:
          'Manage API tokens, users and settings. Authenticate with HTTP Basic (user name and directory password, or user name and token) or with `Authorization: Bearer <token>`. A read-scope token may only call GET, HEAD and OPTIONS.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic' },
          bearer: { type: 'http', scheme: 'bearer', description: 'A tokengate token' },
        },
      },
      security: [{ basic: [] }, { bearer: [] }],
    },
    // Components are named after the schemas' $id (Token, User, Error) instead of def-0, def-1.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `schema${i}`,
    },
    // Only the OpenAPI 3 document is built (options.openapi), never a Swagger 2 one.
    transformObject: (d) => ('openapiObject' in d ? hoistNamedSchemas(d.openapiObject) : d.swaggerObject),
    transform: ({ schema, url, route }) =>
      documentRoute({
        method: route.method,
        url,
        schema,
        config: route.config,
      }),
  };
}
