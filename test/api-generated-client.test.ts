import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { basicAuth, startTestNode, type TestNode } from './support/node.js';

/**
 * A client generated from the served OpenAPI document works (issue 19): openapi-typescript makes the
 * types from what a running node serves, tsc checks a small program against them, and the program
 * runs with openapi-fetch: create a token, list and page, update with If-Match (a stale one gets
 * 412), revoke.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The program, as a user of the generated client would write it. */
const CLIENT = `import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

export async function run(baseUrl: string, authorization: string) {
  const api = createClient<paths>({ baseUrl, headers: { authorization } });
  const made = [];
  for (const description of ['first', 'second', 'third']) {
    const { data, response } = await api.POST('/_tokengate/api/v1/tokens', { body: { description, scope: 'read' } });
    if (!data) throw new Error(\`create: \${response.status}\`);
    made.push({ id: data.record.id, location: response.headers.get('location') });
  }
  // Page through the list two at a time, by nextCursor.
  const listed: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const { data } = await api.GET('/_tokengate/api/v1/tokens', { params: { query: { limit: 2, cursor } } });
    if (!data) throw new Error('list');
    listed.push(...data.items.map((t) => t.id));
    cursor = data.nextCursor ?? undefined;
    pages++;
  } while (cursor !== undefined);

  const id = made[0]?.id ?? '';
  const read = await api.GET('/_tokengate/api/v1/tokens/{id}', { params: { path: { id } } });
  const etag = read.response.headers.get('etag') ?? '';
  const updated = await api.PATCH('/_tokengate/api/v1/tokens/{id}', {
    params: { path: { id }, header: { 'if-match': etag } },
    body: { description: 'renamed' },
  });
  const stale = await api.PATCH('/_tokengate/api/v1/tokens/{id}', {
    params: { path: { id }, header: { 'if-match': etag } },
    body: { description: 'lost update' },
  });
  const revoked = await api.DELETE('/_tokengate/api/v1/tokens/{id}', {
    params: { path: { id }, header: { 'if-match': updated.response.headers.get('etag') ?? '' } },
  });
  const after = await api.GET('/_tokengate/api/v1/tokens/{id}', { params: { path: { id } } });
  return {
    made,
    listed,
    pages,
    updated: { status: updated.response.status, description: updated.data?.description },
    stale: { status: stale.response.status, code: stale.error?.error.code },
    revoked: revoked.response.status,
    after: { description: after.data?.description, status: after.data?.status },
  };
}
`;

/** A call the generated types must refuse: a misspelt body field and an unknown operation. */
const WRONG = `import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

const api = createClient<paths>({ baseUrl: 'http://x' });
void api.PATCH('/_tokengate/api/v1/tokens/{id}', { params: { path: { id: 'x' } }, body: { descriptio: 'y' } });
void api.PUT('/_tokengate/api/v1/tokens', { body: {} });
`;

function typeErrors(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('a client generated from the served OpenAPI document', () => {
  let t: TestNode;
  let dir: string;

  before(async () => {
    t = await startTestNode(null);
    // Under the repository, so that the program finds openapi-fetch in node_modules.
    const scratch = join(ROOT, 'node_modules', '.cache');
    mkdirSync(scratch, { recursive: true });
    dir = mkdtempSync(join(scratch, 'tg-generated-client-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  });

  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'generates, type-checks, and creates, lists, pages, updates with If-Match and revokes',
    { timeout: 120_000 },
    async () => {
      const served = await fetch(`${t.adminUrl}/_tokengate/api/v1/openapi.json`);
      assert.equal(served.status, 200);
      const doc = (await served.json()) as OpenAPI3;
      writeFileSync(join(dir, 'schema.d.ts'), astToString(await openapiTS(doc, { silent: true })));
      writeFileSync(join(dir, 'client.ts'), CLIENT);
      writeFileSync(join(dir, 'wrong.ts'), WRONG);

      assert.deepEqual(typeErrors(join(dir, 'client.ts')), [], 'the client program does not type-check');
      // The types are strict enough to catch mistakes: both wrong calls are errors.
      const wrong = typeErrors(join(dir, 'wrong.ts'));
      assert.ok(
        wrong.some((m) => m.includes('descriptio')),
        wrong.join('\n'),
      );
      assert.ok(
        wrong.some((m) => m.includes('PathsWithMethod<paths, "put">')),
        wrong.join('\n'),
      );

      const mod = (await import(pathToFileURL(join(dir, 'client.ts')).href)) as {
        run: (
          baseUrl: string,
          auth: string,
        ) => Promise<{
          made: Array<{ id: string; location: string | null }>;
          listed: string[];
          pages: number;
          updated: { status: number; description?: string };
          stale: { status: number; code?: string };
          revoked: number;
          after: { description?: string; status?: string };
        }>;
      };
      const r = await mod.run(t.adminUrl, basicAuth('admin', 'admin-password-1'));
      assert.equal(r.made.length, 3);
      for (const m of r.made) assert.equal(m.location, `/_tokengate/api/v1/tokens/${m.id}`);
      // Three tokens, two per page: two pages, each token once, newest first.
      assert.equal(r.pages, 2);
      assert.deepEqual(r.listed, r.made.map((m) => m.id).reverse());
      assert.deepEqual(r.updated, { status: 200, description: 'renamed' });
      assert.deepEqual(r.stale, { status: 412, code: 'precondition_failed' });
      assert.equal(r.revoked, 204);
      assert.deepEqual(r.after, { description: 'renamed', status: 'revoked' });
    },
  );
});
