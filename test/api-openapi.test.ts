import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { OpenAPI3, OperationObject, ReferenceObject } from 'openapi-typescript';
import { lintOpenApi, openApiDocument } from '../scripts/openapi.js';
import { ERROR_CATALOGUE } from '../src/domain/errors.js';
import { derivedOperationId } from '../src/http/api/openapi.js';

/** The management API's OpenAPI document: what clients generate code from (issue 19). */

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface Op {
  method: string;
  path: string;
  op: OperationObject;
}

function operations(doc: OpenAPI3): Op[] {
  const out: Op[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, OperationObject | undefined>)[method];
      if (op) out.push({ method, path, op });
    }
  }
  return out;
}

const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  license: string;
};

describe('the OpenAPI document', () => {
  let doc: OpenAPI3;
  let ops: Op[];
  before(async () => {
    doc = await openApiDocument();
    ops = operations(doc);
  });

  it('gives every operation a unique camelCase operationId', () => {
    assert.ok(ops.length > 25, `only ${ops.length} operations`);
    const ids = ops.map((o) => o.op.operationId);
    for (const [i, id] of ids.entries()) {
      assert.match(String(id), /^[a-z][A-Za-z0-9]*$/, `${ops[i]?.method} ${ops[i]?.path}`);
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds repeat');
  });

  it('keeps the operationIds clients already use', () => {
    const byRoute = new Map(ops.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o.op.operationId]));
    const api = '/_tokengate/api/v1';
    assert.equal(byRoute.get(`GET ${api}/tokens`), 'listTokens');
    assert.equal(byRoute.get(`POST ${api}/tokens`), 'createToken');
    assert.equal(byRoute.get(`PATCH ${api}/tokens/{id}`), 'updateToken');
    assert.equal(byRoute.get(`DELETE ${api}/tokens/{id}`), 'revokeToken');
    assert.equal(byRoute.get(`GET ${api}/admin/users`), 'adminListUsers');
    assert.equal(byRoute.get(`GET ${api}/admin/audit`), 'adminSearchAudit');
  });

  it('derives a camelCase operationId for a route that declares none', () => {
    assert.equal(derivedOperationId('GET', '/_tokengate/health'), 'getHealth');
    assert.equal(
      derivedOperationId('PUT', '/_tokengate/api/v1/admin/log-levels/:logger'),
      'putAdminLogLevelsLogger',
    );
  });

  it('names its component schemas after their $id, never def-N', () => {
    const names = Object.keys(doc.components?.schemas ?? {});
    for (const name of ['Error', 'Token', 'User', 'AuditRecord', 'CreatedToken', 'CreateToken', 'UserPage'])
      assert.ok(names.includes(name), name);
    for (const name of names) assert.doesNotMatch(name, /^def-\d+$/);
  });

  it("makes the error body's code the catalogue's enum", () => {
    type Obj = { properties: Record<string, Obj>; enum?: unknown[] };
    const error = doc.components?.schemas?.Error as unknown as Obj;
    assert.deepEqual(error.properties.error?.properties.code?.enum, Object.keys(ERROR_CATALOGUE));
  });

  it('lists the shared error responses: 401, 403, 429, 500 and 503 on authenticated routes, 400, 413 and 415 with a body', () => {
    for (const { method, path, op } of ops) {
      const statuses = Object.keys(op.responses ?? {});
      const where = `${method.toUpperCase()} ${path}: ${statuses.join(' ')}`;
      assert.ok(statuses.includes('500'), where);
      // The health probes have their own 503 body, or none (livez answers while the database is down).
      if (!op.tags?.includes('health')) assert.ok(statuses.includes('503'), where);
      if (!path.startsWith('/_tokengate/api/v1/') || path.endsWith('/session')) continue;
      for (const s of ['401', '403', '429']) assert.ok(statuses.includes(s), `${where} lacks ${s}`);
      if (op.requestBody !== undefined) {
        for (const s of ['400', '413', '415']) assert.ok(statuses.includes(s), `${where} lacks ${s}`);
      }
      // Every error response is the one Error shape, described by the codes it stands for.
      for (const s of statuses.filter((x) => Number(x) >= 400)) {
        const r = op.responses?.[s] as {
          description: string;
          content?: Record<string, { schema: ReferenceObject }>;
        };
        if (path.endsWith('/health')) continue;
        assert.equal(
          r.content?.['application/json']?.schema.$ref,
          '#/components/schemas/Error',
          `${where} ${s}`,
        );
        assert.match(r.description, /`[a-z_]+`: /, `${where} ${s}`);
      }
    }
  });

  it("carries the package's licence", () => {
    assert.equal(doc.info.license?.name, PKG.license);
  });

  it(
    'passes Redocly lint with no warning and no error (npm run lint:openapi)',
    { timeout: 60_000 },
    async () => {
      assert.equal(await lintOpenApi(), 0);
    },
  );
});
