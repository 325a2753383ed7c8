import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode } from '../src/domain/errors.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { defaultSettings, SETTING_DEFINITIONS } from '../src/domain/settings.js';
import { systemContext } from '../src/services/context.js';
import { basic, harness, type Harness } from './support/harness.js';

/**
 * Every body and query parameter of the management API, fuzzed from the routes' own OpenAPI
 * description: arbitrary JSON, values near what each schema allows, broken JSON, wrong content
 * types, repeated and unknown query parameters, odd path segments. Whatever arrives, the answer is
 * a success or a 4xx in the one error shape, never a 5xx, and a refusal writes nothing.
 */

const RUNS = 60;

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  format?: string;
}

interface Operation {
  method: InjectOptions['method'];
  path: string;
  query: Array<{ name: string; schema: Schema; required: boolean }>;
  params: string[];
  body: Schema | null;
}

interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ in: string; name: string; schema: Schema; required?: boolean }>;
        requestBody?: { content: Record<string, { schema: Schema }> };
      }
    >
  >;
}

const NEAR_STRINGS = [
  '',
  ' ',
  'read',
  'write',
  'admin',
  '*',
  '10.0.0.0/8',
  '192.0.2.1',
  '::1',
  '2999-01-01',
  '2999-01-01T00:00:00Z',
  '2020-01-01T00:00:00Z',
  '2024-02-30T00:00:00Z',
  'tok_AAAAAAAAAAAAAAAA',
  'INFO',
  'csv',
  'jsonl',
  '__proto__',
  'constructor',
  '%zz',
  '\u0000',
  '\ud800',
  'a'.repeat(300),
  'x@example.com',
  'correct-horse-battery',
  new Date(Date.now() + 30 * 86_400_000).toISOString(),
];

const nearString = fc.oneof(
  fc.constantFrom(...NEAR_STRINGS),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Values shaped by a JSON schema: mostly near what it allows, sometimes anything at all. */
/**
 * A `password` field: odd values, and strings that may become a real password are each one of its
 * own (`fz-` and 16 hex digits), never a word from NEAR_STRINGS. The secrets scan treats
 * every password set as a secret; a dictionary word such as `constructor` also appears in other
 * tests' logs, where the scan would report it.
 */
function passwordValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.stringMatching(/^fz-[0-9a-f]{16}$/) },
    { weight: 1, arbitrary: fc.constantFrom('', 'short', null, 42, ['x']) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }).filter((v) => typeof v !== 'string') },
  );
}

function valueFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const anything = fc.jsonValue({ maxDepth: 2 });
  if (!schema || depth > 3) return anything;
  if (schema.enum) {
    return fc.oneof(
      { weight: 1, arbitrary: anything },
      { weight: 6, arbitrary: fc.constantFrom(...schema.enum) },
    );
  }
  const shaped: Array<fc.Arbitrary<unknown>> = [];
  if (schema.nullable) shaped.push(fc.constant(null));
  if (schema.anyOf) shaped.push(...schema.anyOf.map((s) => valueFor(s, depth + 1)));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  for (const type of types) {
    if (type === 'string') {
      shaped.push(nearString);
      if (schema.maxLength !== undefined) {
        const n = schema.maxLength;
        shaped.push(fc.constantFrom('x'.repeat(n), 'x'.repeat(n + 1)));
      }
    } else if (type === 'integer' || type === 'number') {
      const lo = schema.minimum ?? -1000;
      const hi = schema.maximum ?? 1000;
      shaped.push(
        fc.integer({ min: lo - 2, max: Math.min(hi + 2, lo + 1000) }),
        fc.constantFrom(lo, hi, lo - 1, hi + 1, 1.5, -0, 1e308, Number.MAX_SAFE_INTEGER + 2),
      );
    } else if (type === 'boolean') {
      shaped.push(fc.boolean());
    } else if (type === 'null') {
      shaped.push(fc.constant(null));
    } else if (type === 'array') {
      shaped.push(
        fc.array(valueFor(schema.items, depth + 1), { maxLength: Math.min(schema.maxItems ?? 5, 5) }),
      );
      if (schema.maxItems !== undefined) {
        shaped.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, () => '10.0.0.1')));
      }
    } else if (type === 'object') {
      const props = Object.entries(schema.properties ?? {});
      const fields = Object.fromEntries(
        props.map(([k, s]) => [k, k === 'password' ? passwordValue() : valueFor(s, depth + 1)]),
      );
      const required = (schema.required ?? []).filter((k) => k in fields);
      shaped.push(
        fc.record(fields, { requiredKeys: required }),
        fc.record(fields, { requiredKeys: required }),
        fc.record(fields, { requiredKeys: [] }),
        fc
          .tuple(fc.record(fields, { requiredKeys: [] }), fc.string({ maxLength: 10 }), anything)
          .map(([o, k, v]) => ({ ...o, [k]: v })),
      );
    }
  }
  // Mostly shaped values, so requests get past the schema into the services' own checks.
  return shaped.length === 0
    ? anything
    : fc.oneof({ weight: 1, arbitrary: anything }, { weight: 5, arbitrary: fc.oneof(...shaped) });
}

/** Values the schema accepts, so some requests get through and the fuzz reaches the success paths too. */
function validFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 3) return fc.constant(null);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => validFor(s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      const min = Math.max(schema.minLength ?? 0, 8);
      const max = Math.max(min, Math.min(schema.maxLength ?? 24, 24));
      return fc.stringMatching(new RegExp(`^[a-z][a-z0-9]{${min - 1},${max - 1}}$`));
    }
    case 'integer':
    case 'number':
      return fc.integer({
        min: schema.minimum ?? 0,
        max: Math.min(schema.maximum ?? 1000, (schema.minimum ?? 0) + 1000),
      });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.constant([]);
    case 'object': {
      // Just the required fields: other fields have meanings (dates, CIDRs) a schema cannot tell.
      const required = (schema.required ?? []).filter((k) => schema.properties?.[k] !== undefined);
      return fc.record(
        Object.fromEntries(required.map((k) => [k, validFor(schema.properties?.[k], depth + 1)])),
      );
    }
    default:
      return fc.constant(null);
  }
}

/** PATCH /admin/settings takes any object; real keys with values near their own schema find more. */
const settingsChange = fc
  .array(
    fc.oneof(
      ...SETTING_DEFINITIONS.map((d) =>
        valueFor(d.schema as Schema).map((v): [string, unknown] => [d.key, v]),
      ),
      fc.tuple(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((entries) => Object.fromEntries(entries) as Record<string, unknown>);

/** The request body: schema-shaped JSON, arbitrary JSON, or bytes that are not JSON at all. */
function bodyFor(op: Operation): fc.Arbitrary<{ payload: string; contentType: string | null } | null> {
  const json = op.path.endsWith('/admin/settings')
    ? fc.oneof(settingsChange, valueFor(op.body ?? undefined))
    : fc.oneof(
        { weight: 3, arbitrary: valueFor(op.body ?? undefined) },
        { weight: 1, arbitrary: validFor(op.body ?? undefined) },
      );
  const text = fc.oneof(
    { weight: 6, arbitrary: json.map((v) => JSON.stringify(v) ?? 'null') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '{',
        '{"a":',
        'null',
        '[]',
        '"x"',
        '{"__proto__":{"x":1}}',
        '{"a":1,"a":2}',
        '\u0000',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  );
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/json; charset=utf-16',
        'application/x-www-form-urlencoded',
        'x',
      ),
    },
    { weight: 1, arbitrary: fc.constant(null) },
  );
  return fc.option(fc.record({ payload: text, contentType }), { freq: 8, nil: null });
}

/** Percent-encodes every byte of the UTF-8 form (a lone surrogate becomes U+FFFD rather than a throw). */
const encode = (v: unknown): string =>
  [...Buffer.from(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''), 'utf8')]
    .map((b) => `%${b.toString(16).padStart(2, '0')}`)
    .join('');

/** A query string from the route's parameters, unknown ones, repeats and raw bytes. */
function queryFor(op: Operation): fc.Arbitrary<string> {
  const pair = fc.oneof(
    ...op.query.map((q) =>
      valueFor(q.schema).map((v) => `${q.name}=${typeof v === 'number' ? String(v) : encode(v)}`),
    ),
    fc.tuple(fc.string({ maxLength: 8 }), nearString).map(([k, v]) => `${encode(k)}=${encode(v)}`),
    fc.constantFrom('%zz', '=', '&&', 'a[b]=1', '__proto__[x]=1', 'limit', 'limit=', '%ff=%fe'),
  );
  return fc.array(pair, { maxLength: 4 }).map((pairs) => (pairs.length > 0 ? `?${pairs.join('&')}` : ''));
}

/** A path segment: one of the objects that exist, or anything, encoded or raw. */
function segmentFor(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...known),
    nearString.filter((s) => s !== 'admin').map(encode),
    fc.constantFrom('%zz', '%ff', '..', '.', 'a%2Fb', 'x'.repeat(120)),
  );
}

function operations(doc: OpenApi): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema, required: p.required ?? false })),
        params: params.filter((p) => p.in === 'path').map((p) => p.name),
        body: op.requestBody?.content['application/json']?.schema ?? null,
      });
    }
  }
  return out;
}

interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

function isErrorBody(v: unknown): v is ErrorBody {
  const e = (v as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof e?.code === 'string' && typeof e.message === 'string';
}

describe('management API fuzz: every body and query parameter', () => {
  let h: Harness;
  let ops: Operation[];
  const cli = systemContext('@cli');
  // An admin of its own, whose name no generator spells: failed sign-ins as "admin" block nothing here.
  const FUZZ_ADMIN_PASSWORD = 'fuzz-admin-password-1';
  const admin = basic('fuzz-admin', FUZZ_ADMIN_PASSWORD);
  const known: Record<string, string[]> = {
    user: ['fuzz-user', 'nobody'],
    logger: ['root', 'auth', 'fuzz.logger'],
    id: ['tok_AAAAAAAAAAAAAAAA'],
  };

  /** What a refused request must leave untouched. Last-used times move with every token request. */
  async function snapshot(): Promise<string> {
    const s = h.ctx.store;
    const tokens = (await s.tokens.search({}, Date.now(), 100_000)).map((t) => ({
      ...t,
      lastUsedAt: null,
      lastUsedIp: null,
    }));
    return JSON.stringify({
      users: await s.users.list(),
      tokens,
      settings: await s.settings.all(),
      audit: await s.audit.count(),
      changes: await s.changes.latestSeq(),
    });
  }

  /** Puts back what an accepted request changed, so every run starts from the same state. */
  async function restore(): Promise<void> {
    const defaults = defaultSettings() as unknown as Record<string, unknown>;
    const current = h.ctx.settings.current as unknown as Record<string, unknown>;
    const diff = Object.fromEntries(
      Object.keys(defaults)
        .filter((k) => JSON.stringify(current[k]) !== JSON.stringify(defaults[k]))
        .map((k) => [k, defaults[k]]),
    );
    if (Object.keys(diff).length > 0) await h.ctx.settings.update(CLI_PRINCIPAL, cli, diff);
    if (!(await h.ctx.store.users.find('fuzz-user'))) await h.addUser('fuzz-user', ['dev']);
  }

  before(async () => {
    h = await harness();
    await h.addUser('fuzz-user', ['dev']);
    await h.addUser('fuzz-admin', ['admin'], FUZZ_ADMIN_PASSWORD);
    const t = await h.tokenFor('fuzz-user', 'read');
    known.id = [t.id, 'tok_AAAAAAAAAAAAAAAA'];
    ops = operations(h.api.swagger() as unknown as OpenApi);
    assert.ok(ops.length >= 20, `only ${ops.length} routes found in the OpenAPI document`);
  });
  after(async () => {
    await h.close();
  });

  it('finds every documented route, with the query and body schemas to fuzz', () => {
    const bodies = ops.filter((o) => o.body !== null).map((o) => `${o.method} ${o.path}`);
    for (const route of [
      'POST /_tokengate/api/v1/tokens',
      'PATCH /_tokengate/api/v1/admin/settings',
      'POST /_tokengate/api/v1/admin/users',
      'PUT /_tokengate/api/v1/admin/log-levels/{logger}',
      'POST /_tokengate/api/v1/session',
    ]) {
      assert.ok(bodies.includes(route), route);
    }
    assert.ok(ops.some((o) => o.path.endsWith('/admin/audit') && o.query.length > 5));
  });

  // One property per route, so a failure names the route and the run count stays per route.
  for (const label of [
    'GET /_tokengate/health',
    'GET /_tokengate/api/v1/me',
    'GET /_tokengate/api/v1/tokens',
    'POST /_tokengate/api/v1/tokens',
    'GET /_tokengate/api/v1/tokens/{id}',
    'PATCH /_tokengate/api/v1/tokens/{id}',
    'DELETE /_tokengate/api/v1/tokens/{id}',
    'GET /_tokengate/api/v1/admin/tokens',
    'GET /_tokengate/api/v1/admin/tokens/{id}',
    'DELETE /_tokengate/api/v1/admin/tokens/{id}',
    'POST /_tokengate/api/v1/admin/users/{user}/tokens',
    'DELETE /_tokengate/api/v1/admin/users/{user}/tokens',
    'GET /_tokengate/api/v1/admin/users',
    'POST /_tokengate/api/v1/admin/users',
    'GET /_tokengate/api/v1/admin/users/{user}',
    'PATCH /_tokengate/api/v1/admin/users/{user}',
    'DELETE /_tokengate/api/v1/admin/users/{user}',
    'GET /_tokengate/api/v1/admin/settings',
    'PATCH /_tokengate/api/v1/admin/settings',
    'GET /_tokengate/api/v1/admin/settings/schema',
    'GET /_tokengate/api/v1/admin/log-levels',
    'PUT /_tokengate/api/v1/admin/log-levels/{logger}',
    'POST /_tokengate/api/v1/session',
    'GET /_tokengate/api/v1/session',
    'DELETE /_tokengate/api/v1/session',
    'GET /_tokengate/api/v1/admin/stats',
    'GET /_tokengate/api/v1/admin/audit',
    'GET /_tokengate/api/v1/admin/audit/export',
    'GET /_tokengate/api/v1/admin/audit/verify',
  ]) {
    it(`${label}: a 2xx, or a 4xx in the error shape that writes nothing; never a 5xx`, async () => {
      const op = ops.find((o) => `${o.method} ${o.path}` === label);
      assert.ok(op, `${label} is not in the OpenAPI document any more; update this list`);
      const segments = fc.tuple(...op.params.map((p) => segmentFor(known[p] ?? ['x'])));
      const request = fc.record({
        segments: op.params.length > 0 ? segments : fc.constant([] as string[]),
        query: queryFor(op),
        body: op.method === 'GET' ? fc.constant(null) : bodyFor(op),
        client: fc.integer({ min: 1, max: 254 }),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ segments: values, query, body, client }) => {
          await restore();
          let path = op.path;
          op.params.forEach((name, i) => (path = path.replace(`{${name}}`, values[i] ?? '')));
          const headers: Record<string, string> = { authorization: admin };
          const opts: InjectOptions = { method: op.method, url: path + query, headers };
          if (body) {
            opts.payload = body.payload;
            if (body.contentType) headers['content-type'] = body.contentType;
          }
          // Failed sign-ins count per client address; spread them so they do not block the admin.
          if (path.endsWith('/session')) opts.remoteAddress = `10.9.0.${client}`;
          const beforeState = await snapshot();
          const res = await h.api.inject(opts);
          const what = `${op.method} ${path}${query} ${body ? `[${body.contentType}] ${body.payload.slice(0, 200)}` : ''}`;
          assert.ok(res.statusCode < 500, `${res.statusCode} for ${what}: ${res.body.slice(0, 300)}`);
          if (res.statusCode < 400) return;
          let data: unknown;
          try {
            data = JSON.parse(res.body) as unknown;
          } catch {
            assert.fail(`${res.statusCode} without a JSON body for ${what}: ${res.body.slice(0, 200)}`);
          }
          assert.ok(isErrorBody(data), `not the error shape for ${what}: ${res.body.slice(0, 200)}`);
          const { code, message, details } = data.error;
          assert.ok(code in ERROR_CATALOGUE, `unknown code ${code}`);
          assert.equal(ERROR_CATALOGUE[code].status, res.statusCode, `${code} with status ${res.statusCode}`);
          if (code === 'invalid_request') {
            // The message starts with the field; the details, when there are any, list each field.
            const fields = Array.isArray(details)
              ? (details as Array<{ field?: unknown }>).map((d) => d.field)
              : [];
            assert.ok(
              fields.every((f) => typeof f === 'string'),
              `details without a field for ${what}: ${res.body.slice(0, 300)}`,
            );
            const first = fields[0];
            if (fields.length > 1) {
              // Every bad field is reported (issue 19): the message names each one.
              assert.match(message, new RegExp(`^${fields.length} invalid fields: `), what);
              for (const f of fields) {
                assert.ok(
                  message.includes(`${String(f)}: `),
                  `the message does not name ${String(f)} for ${what}: ${message}`,
                );
              }
            } else if (typeof first === 'string') {
              assert.ok(
                message.startsWith(`${first}: `),
                `the message names no field for ${what}: ${message}`,
              );
            } else {
              assert.match(message, /^[^\s:]+: /, `the message names no field for ${what}: ${message}`);
            }
          }
          assert.equal(
            await snapshot(),
            beforeState,
            `a refused ${what} (${res.statusCode}) wrote something`,
          );
        }),
        { numRuns: RUNS, includeErrorInReport: true },
      );
    });
  }
});
